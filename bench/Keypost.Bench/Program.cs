using BenchmarkDotNet.Running;
using Keypost.Bench.Transparency;

if (args is ["transparency-store", .. var storeArgs])
{
    await TransparencyStoreLoad.RunAsync(storeArgs);
    return;
}

if (args is ["witness", .. var witnessArgs])
{
    await WitnessLoad.RunAsync(witnessArgs);
    return;
}

if (args is ["stream", .. var streamArgs])
{
    // Streaming OpenPGP on a file, beside gpg in bench/pgp/stream.sh.
    await Keypost.Bench.StreamingPgpLoad.RunAsync(streamArgs);
    return;
}

if (args is ["pgpmime-rate", .. var rateArgs])
{
    // PGP/MIME messages per second in-process (issue #14's 10 KB goal), without BenchmarkDotNet's per-size runs.
    Keypost.Bench.PgpMimeRate.Run(rateArgs);
    return;
}

if (args is ["transparency", .. var rest])
{
    // A load harness, not a BenchmarkDotNet suite: a million-binding fill does not fit BDN's repeated iterations.
    TransparencyLoad.Run(rest);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
