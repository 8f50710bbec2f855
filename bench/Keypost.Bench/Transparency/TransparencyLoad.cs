using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

namespace Keypost.Bench.Transparency;

/// <summary>
/// `dotnet run -c Release --project bench/Keypost.Bench -- transparency [bindings] [batch] [ed25519|p256]`: fills one
/// domain's map and log in memory with N bindings in epochs of B, then measures real appends (VRF on every core, then
/// one seal) and lookup proofs at that size. The suite defaults to the one new logs get. docs/benchmarks.md.
/// </summary>
public static class TransparencyLoad
{
    private const int Samples = 200;

    public static void Run(string[] args)
    {
        var bindings = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        var suite = args.Length > 2 ? Enum.Parse<VrfSuite>(args[2], ignoreCase: true) : KtVrf.DefaultSuite;
        const string Domain = "jedi.test";
        var signer = new NoteSigner(LogLocation.Origin(Domain), NoteSigner.GeneratePrivateKey());
        var vrfKey = KtVrf.GenerateSecretKey(suite);
        var log = new KeyTransparencyLog(signer, suite, vrfKey);
        Report("machine", $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        Report("VRF suite", suite.ToString());

        // 1. The VRF alone: it is what a real append costs beyond hashing. An append computes the VRF output only
        //    (KtVrf.Evaluate); the first lookup of the address finishes the proof (KtVrf.Finish), timed in 4.
        var sampleAddresses = Enumerable.Range(0, Samples).Select(i => $"user{i}@{Domain}").ToList();
        for (var i = 0; i < 50; i++)
        {
            // Warm-up: JIT and BouncyCastle's lazy tables are not what an append costs.
            var warm = log.Prepare("warm@" + Domain, NewBinding(1)).VrfProof;
            KtVrf.Verify(suite, log.VrfPublicKey, "warm@jedi.test"u8, KtVrf.Finish(suite, vrfKey, log.VrfPublicKey, "warm@jedi.test"u8, warm));
        }

        var watch = Stopwatch.StartNew();
        var cpu = Cpu();
        var prepared = sampleAddresses.Select(a => log.Prepare(a, NewBinding(1))).ToList();
        Report("VRF output (an append's share), 1 core", $"{Samples / watch.Elapsed.TotalSeconds:N0}/s ({watch.Elapsed.TotalMilliseconds / Samples:N3} ms each; CPU {(Cpu() - cpu).TotalMilliseconds / Samples:N3} ms)");
        watch.Restart();
        Parallel.For(0, 2_000, i => log.Prepare($"parallel{i}@{Domain}", NewBinding(1)));
        var parallelRate = 2_000 / watch.Elapsed.TotalSeconds;
        Report("VRF output + commitment, all cores", $"{parallelRate:N0}/s");

        // 2. Fill. Map keys of the bulk are random 32-byte strings (a VRF output is indistinguishable from one, so
        //    the tree has the same shape); the sampled addresses carry real VRF proofs.
        var fillWatch = Stopwatch.StartNew();
        var fillCpu = Cpu();
        var sealTime = TimeSpan.Zero;
        var epochs = 0;
        var staged = 0;
        var lastSeal = TimeSpan.Zero;
        foreach (var p in prepared)
        {
            log.Stage(p);
        }

        staged += prepared.Count;
        while (staged < bindings)
        {
            var count = Math.Min(batch, bindings - staged);
            for (var i = 0; i < count; i++)
            {
                var opening = RandomNumberGenerator.GetBytes(16);
                var address = $"bulk{staged + i}@{Domain}";
                var binding = NewBinding(1);
                log.Stage(new StagedBinding(address, binding, new byte[KtVrf.ProofLength(suite)], RandomNumberGenerator.GetBytes(32), opening,
                    BindingCommitment.Compute(opening, address, binding)));
            }

            staged += count;
            var sealWatch = Stopwatch.StartNew();
            log.Seal(DateTimeOffset.UtcNow);
            lastSeal = sealWatch.Elapsed;
            sealTime += lastSeal;
            epochs++;
        }

        var fill = fillWatch.Elapsed;
        Report("bindings, epochs", $"{staged:N0} in {epochs:N0} epochs of {batch:N0}");
        Report("appends into map + log (staging + sealing, no VRF)", $"{staged / fill.TotalSeconds:N0}/s ({fill.TotalSeconds:N1} s; CPU {(Cpu() - fillCpu).TotalSeconds:N1} s)");
        Report("sealing alone (map rehash + log append + checkpoint)", $"{staged / sealTime.TotalSeconds:N0}/s; last epoch of {batch:N0}: {lastSeal.TotalMilliseconds:N0} ms");
        Report("appends with the VRF (min of the two rates)", $"{Math.Min(parallelRate, staged / fill.TotalSeconds):N0}/s");
        GC.Collect();
        Report("managed memory after fill", $"{GC.GetTotalMemory(true) / (1024 * 1024):N0} MiB; RSS {Environment.WorkingSet / (1024 * 1024):N0} MiB");

        // 2b. Real appends at this size, as the directory makes them: the VRF proofs of one batch on every core,
        //     then one seal (map rehash, log append, checkpoint signature).
        watch.Restart();
        cpu = Cpu();
        var appended = new StagedBinding[batch];
        Parallel.For(0, batch, i => appended[i] = log.Prepare($"append{i}@{Domain}", NewBinding(1)));
        var vrfPart = watch.Elapsed;
        foreach (var p in appended)
        {
            log.Stage(p);
        }

        log.Seal(DateTimeOffset.UtcNow);
        Report($"appends with the VRF at {staged:N0}: one epoch of {batch:N0}, VRF on all cores + seal",
            $"{batch / watch.Elapsed.TotalSeconds:N0}/s ({watch.Elapsed.TotalSeconds:N2} s, of which VRF {vrfPart.TotalSeconds:N2} s; CPU {(Cpu() - cpu).TotalSeconds:N2} s)");

        // 3. Publication to provable at this size: one binding, one epoch.
        watch.Restart();
        log.Stage("new@" + Domain, NewBinding(1));
        log.Seal(DateTimeOffset.UtcNow);
        var provable = log.Prove("new@" + Domain);
        Report("one publication to provable (VRF + seal + proof), excluding the 1 s poll", $"{watch.Elapsed.TotalMilliseconds:N1} ms");

        // 4. Lookup proofs at this size.
        var verifier = new LookupVerifier(NoteVerifier.Parse(log.VerifierKey), log.Origin);
        var proofs = new List<byte[]>();
        watch.Restart();
        cpu = Cpu();
        foreach (var address in sampleAddresses)
        {
            proofs.Add(log.Prove(address)!);
        }

        var firstProveMs = watch.Elapsed.TotalMilliseconds / Samples;
        var firstProveCpu = (Cpu() - cpu).TotalMilliseconds / Samples;
        watch.Restart();
        cpu = Cpu();
        foreach (var address in sampleAddresses)
        {
            _ = log.Prove(address);
        }

        var proveMs = watch.Elapsed.TotalMilliseconds / Samples;
        var proveCpu = (Cpu() - cpu).TotalMilliseconds / Samples;
        var finishedProofs = prepared.Select(p => KtVrf.Finish(suite, vrfKey, log.VrfPublicKey, System.Text.Encoding.UTF8.GetBytes(p.Address), p.VrfProof)).ToList();
        watch.Restart();
        cpu = Cpu();
        for (var i = 0; i < Samples; i++)
        {
            verifier.Verify(sampleAddresses[i], proofs[i], null, DateTimeOffset.UtcNow.AddMinutes(1));
        }

        var verifyMs = watch.Elapsed.TotalMilliseconds / Samples;
        var verifyCpu = (Cpu() - cpu).TotalMilliseconds / Samples;
        watch.Restart();
        cpu = Cpu();
        for (var i = 0; i < Samples; i++)
        {
            KtVrf.Verify(suite, log.VrfPublicKey, System.Text.Encoding.UTF8.GetBytes(sampleAddresses[i]), finishedProofs[i]);
        }

        Report("of which ECVRF verify", $"{watch.Elapsed.TotalMilliseconds / Samples:N3} ms (CPU {(Cpu() - cpu).TotalMilliseconds / Samples:N3} ms)");
        var sizes = proofs.Select(p => p.Length).Order().ToList();
        Report("lookup proof size", $"mean {sizes.Average():N0} B, median {sizes[sizes.Count / 2]:N0} B, max {sizes[^1]:N0} B (log size {log.Size:N0})");
        Report("proof generation, first lookup of an address", $"{firstProveMs:N3} ms, CPU {firstProveCpu:N3} ms (finishes the VRF proof, map path, log path)");
        Report("proof generation, later lookups", $"{proveMs:N3} ms, CPU {proveCpu:N3} ms (cached VRF proof, map path, log path)");
        Report("client verification", $"{verifyMs:N3} ms, CPU {verifyCpu:N3} ms (Ed25519 checkpoint, inclusion, ECVRF verify, map path, commitment)");
        Report("new key's proof", $"{provable!.Length:N0} B");
    }

    /// <summary>This process's CPU time: on a shared machine it shows the cost of work better than the wall clock.</summary>
    private static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static Binding NewBinding(long version) =>
        new(version, RandomNumberGenerator.GetBytes(20), RandomNumberGenerator.GetBytes(32), false);

    private static void Report(string what, string value) => Console.WriteLine($"{what,-75} {value}");
}
