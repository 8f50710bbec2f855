using System.Diagnostics;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Keypost.Fuzz.Tests;

/// <summary>
/// Issue #20, CI part: every harness over its corpus (tests/fuzz/corpus/&lt;target&gt;, which keeps every crash
/// AFL++ found as a regression input) and then a fixed number of seeded, deterministic mutations, so a parser that
/// regresses fails here and not in production. A failing input is saved to artifacts/fuzz-findings/ for
/// <c>Keypost.Fuzz run TARGET FILE</c>.
/// </summary>
public sealed class FuzzCorpusTests(FuzzTargetsFixture fixture, ITestOutputHelper output) : IClassFixture<FuzzTargetsFixture>
{
    public static TheoryData<string> Targets => new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Corpus_and_mutations_run_without_a_finding(string name)
    {
        var target = fixture.Targets.Get(name);
        var directory = Path.Combine(RepositoryRoot(), "tests", "fuzz", "corpus", name);
        var corpus = System.IO.Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(corpus);

        var findings = new List<string>();
        var clock = Stopwatch.StartNew();
        foreach (var input in corpus)
        {
            Check(name, target, input, findings);
        }

        // Same seed, same inputs, every run: a failure here reproduces.
        var random = new Random(StableSeed(name));
        var mutations = MutationsFor(name);
        for (var i = 0; i < mutations && findings.Count < 3; i++)
        {
            Check(name, target, Mutator.Mutate(corpus[random.Next(corpus.Count)], random, corpus), findings);
        }

        output.WriteLine($"{name}: {corpus.Count} corpus inputs, {mutations} mutations, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(findings.Count == 0, string.Join("\n\n", findings));
    }

    // The session harnesses cost a few milliseconds per input (a loopback connection and a fresh mailbox), the
    // parsers microseconds: together about a minute on a 2-core machine.
    private static int MutationsFor(string name) => name switch
    {
        "smtp-session" or "wkd-routing" => 1500,
        _ when name.StartsWith("imap-", StringComparison.Ordinal) && name != "imap-tokenizer" => 400,
        "pgpmime-reader" or "data-intake" or "dkim-record" => 1500,
        // A decoded proof runs the VRF and signature checks (milliseconds each).
        "transparency-decoders" => 1500,
        _ => 4000,
    };

    private static void Check(string name, FuzzTarget target, byte[] input, List<string> findings)
    {
        try
        {
            target.Run(input);
        }
        catch (Exception e)
        {
            var file = Path.Combine(RepositoryRoot(), "artifacts", "fuzz-findings", name + "-" + Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant());
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, input);
            findings.Add($"{name}: {file}\n{e}");
        }
    }

    private static int StableSeed(string name) => BitConverter.ToInt32(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)));

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Keypost.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Keypost.slnx not found above " + AppContext.BaseDirectory);
    }
}
