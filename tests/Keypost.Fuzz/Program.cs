using Keypost.Fuzz;
using SharpFuzz;

// Keypost.Fuzz TARGET                 AFL++ persistent mode (through bench/fuzz/run.sh, on instrumented assemblies)
// Keypost.Fuzz run TARGET FILE...     replays inputs; exit 1 on a finding
// Keypost.Fuzz seed CORPUS_DIR [T..]  writes the seed corpora (tests/fuzz/corpus), or only those of targets T
// Keypost.Fuzz newkey FILE            makes the PGP/MIME harness key (tests/fuzz/keys/pgpmime-reader.asc)
// Keypost.Fuzz list                   the targets
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Keypost.Fuzz TARGET | run TARGET FILE... | seed DIR [TARGET...] | newkey FILE | list");
    return 2;
}

switch (args[0])
{
    case "list":
    {
        using var targets = new FuzzTargets();
        foreach (var name in FuzzTargets.Names)
        {
            Console.WriteLine(name);
        }

        return 0;
    }

    case "newkey":
        File.WriteAllText(args[1], SeedCorpus.NewKey());
        return 0;
    case "seed":
        // `seed DIR [TARGET...]`: only the named targets, so the other corpora (and their kept crashes) stay as they are.
        foreach (var name in FuzzTargets.Names.Where(n => args.Length <= 2 || args[2..].Contains(n)))
        {
            var directory = Path.Combine(args[1], name);
            System.IO.Directory.CreateDirectory(directory);
            foreach (var (seed, data) in SeedCorpus.For(name))
            {
                File.WriteAllBytes(Path.Combine(directory, seed), data);
            }
        }

        return 0;
    case "run":
    {
        using var targets = new FuzzTargets();
        var target = targets.Get(args[1]);
        var findings = 0;
        foreach (var file in args.Skip(2))
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
                Console.WriteLine("ok       " + file);
            }
            catch (Exception e)
            {
                findings++;
                Console.WriteLine("FINDING  " + file + ": " + e);
            }
        }

        return findings == 0 ? 0 : 1;
    }

    default:
    {
        if (!FuzzTargets.Names.Contains(args[0]))
        {
            Console.Error.WriteLine("unknown target " + args[0] + "; known: " + string.Join(", ", FuzzTargets.Names));
            return 2;
        }

        // Instrumented code (SharpFuzz rewrote Keypost.*.dll) may run only once Fuzzer.Run has attached AFL++'s
        // coverage map, so the harness (which already calls into it) is made on the first input.
        // The session harnesses block the main thread on each loopback session while the server runs on the pool:
        // a pool that starts at one thread per core makes any blocking call on it wait for the pool to grow.
        ThreadPool.SetMinThreads(Math.Max(8, Environment.ProcessorCount), Math.Max(8, Environment.ProcessorCount));
        using var targets = new FuzzTargets();
        FuzzTarget? target = null;
        Fuzzer.Run(stream =>
        {
            target ??= targets.Get(args[0]);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            try
            {
                target.Run(buffer.ToArray());
            }
            catch (Exception e) when (Environment.GetEnvironmentVariable("KEYPOST_FUZZ_FINDINGS") is { } log)
            {
                // SharpFuzz reports a finding to AFL++ as a bare status: the exception itself is kept only here.
                File.AppendAllText(log, DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture) + " " + e + "\n----\n");
                throw;
            }
        });
        return 0;
    }
}
