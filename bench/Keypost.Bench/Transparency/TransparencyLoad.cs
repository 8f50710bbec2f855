using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

namespace Keypost.Bench.Transparency;

/// <summary>
/// `dotnet run -c Release --project bench/Keypost.Bench -- transparency [bindings] [batch]`: fills one domain's map
/// and log in memory with N bindings in epochs of B, then measures lookup proofs at that size. docs/benchmarks.md.
/// </summary>
public static class TransparencyLoad
{
    private const int Samples = 200;

    public static void Run(string[] args)
    {
        var bindings = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        const string Domain = "jedi.test";
        var signer = new NoteSigner(LogLocation.Origin(Domain), NoteSigner.GeneratePrivateKey());
        var log = new KeyTransparencyLog(signer, EcVrfP256.GenerateSecretKey());
        Report("machine", $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");

        // 1. The VRF alone: it is what a real append costs beyond hashing.
        var sampleAddresses = Enumerable.Range(0, Samples).Select(i => $"user{i}@{Domain}").ToList();
        for (var i = 0; i < 50; i++)
        {
            // Warm-up: JIT and BouncyCastle's lazy tables are not what an append costs.
            EcVrfP256.Verify(log.VrfPublicKey, "w"u8, log.Prepare("warm@" + Domain, NewBinding(1)).VrfProof);
        }

        var watch = Stopwatch.StartNew();
        var prepared = sampleAddresses.Select(a => log.Prepare(a, NewBinding(1))).ToList();
        Report("VRF prove, 1 core", $"{Samples / watch.Elapsed.TotalSeconds:N0}/s ({watch.Elapsed.TotalMilliseconds / Samples:N3} ms each)");
        watch.Restart();
        Parallel.For(0, 2_000, i => log.Prepare($"parallel{i}@{Domain}", NewBinding(1)));
        var parallelRate = 2_000 / watch.Elapsed.TotalSeconds;
        Report("VRF prove + commitment, all cores", $"{parallelRate:N0}/s");

        // 2. Fill. Map keys of the bulk are random 32-byte strings (a VRF output is indistinguishable from one, so
        //    the tree has the same shape); the sampled addresses carry real VRF proofs.
        var fillWatch = Stopwatch.StartNew();
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
                log.Stage(new StagedBinding(address, binding, new byte[EcVrfP256.ProofLength], RandomNumberGenerator.GetBytes(32), opening,
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
        Report("appends into map + log (staging + sealing, no VRF)", $"{staged / fill.TotalSeconds:N0}/s ({fill.TotalSeconds:N1} s)");
        Report("sealing alone (map rehash + log append + checkpoint)", $"{staged / sealTime.TotalSeconds:N0}/s; last epoch of {batch:N0}: {lastSeal.TotalMilliseconds:N0} ms");
        Report("appends with the VRF (min of the two rates)", $"{Math.Min(parallelRate, staged / fill.TotalSeconds):N0}/s");
        GC.Collect();
        Report("managed memory after fill", $"{GC.GetTotalMemory(true) / (1024 * 1024):N0} MiB");

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
        foreach (var address in sampleAddresses)
        {
            proofs.Add(log.Prove(address)!);
        }

        var proveMs = watch.Elapsed.TotalMilliseconds / Samples;
        watch.Restart();
        for (var i = 0; i < Samples; i++)
        {
            verifier.Verify(sampleAddresses[i], proofs[i], null, DateTimeOffset.UtcNow.AddMinutes(1));
        }

        var verifyMs = watch.Elapsed.TotalMilliseconds / Samples;
        watch.Restart();
        for (var i = 0; i < Samples; i++)
        {
            EcVrfP256.Verify(log.VrfPublicKey, System.Text.Encoding.UTF8.GetBytes(sampleAddresses[i]), prepared[i].VrfProof);
        }

        Report("of which ECVRF verify", $"{watch.Elapsed.TotalMilliseconds / Samples:N3} ms");
        var sizes = proofs.Select(p => p.Length).Order().ToList();
        Report("lookup proof size", $"mean {sizes.Average():N0} B, median {sizes[sizes.Count / 2]:N0} B, max {sizes[^1]:N0} B (log size {log.Size:N0})");
        Report("proof generation", $"{proveMs:N3} ms (cached VRF proof, map path, log path)");
        Report("client verification", $"{verifyMs:N3} ms (Ed25519 checkpoint, inclusion, ECVRF verify, map path)");
        Report("new key's proof", $"{provable!.Length:N0} B");
    }

    private static Binding NewBinding(long version) =>
        new(version, RandomNumberGenerator.GetBytes(20), RandomNumberGenerator.GetBytes(32), false);

    private static void Report(string what, string value) => Console.WriteLine($"{what,-75} {value}");
}
