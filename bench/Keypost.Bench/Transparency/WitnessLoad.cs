using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Keypost.Core.Addresses;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Server.Witness;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;
using Keypost.Transparency.Witness;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Bench.Transparency;

/// <summary>
/// Issue #11's performance figures (docs/benchmarks.md):
/// `dotnet run -c Release --project bench/Keypost.Bench -- witness cosign [rounds]`: a directory with two witnesses
/// (`keypost witness serve`, in-process, loopback HTTP, SQLite with synchronous=FULL); each round publishes one key
/// and times the sequencing run from its start to the newest checkpoint carrying both cosignatures (VRF, sealing,
/// the epoch's fsync, both add-checkpoint round trips).
/// `... -- witness monitor [bindings] [days]`: one address in a domain of N bindings over D daily epochs; the bytes
/// of the lookup proofs a monitor downloads checking once a day (each with a consistency proof from the day
/// before), and checking once at the end of the period.
/// </summary>
public static class WitnessLoad
{
    public static async Task RunAsync(string[] args)
    {
        switch (args)
        {
            case ["cosign", .. var rest]:
                await CosignAsync(rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 50);
                break;
            case ["monitor", .. var rest]:
                Monitor(rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 10_000, rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 365);
                break;
            default:
                throw new ArgumentException("usage: witness cosign [rounds] | witness monitor [bindings] [days]");
        }
    }

    private static async Task CosignAsync(int rounds)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("keypost-bench-witness").FullName;
        try
        {
            var store = new DirectoryStore(await DirectoryDatabase.OpenAsync(Path.Combine(directory, "keypost.db"), CancellationToken.None), TimeProvider.System);
            await store.EnsureDomainAsync("jedi.test", CancellationToken.None);
            var vkey = (await DirectoryTransparency.OpenAsync(store, TimeProvider.System, new TransparencyOptions(), null, CancellationToken.None)).VerifierKey("jedi.test")!;
            await using var w1 = await StartWitnessAsync(directory, "w1", vkey);
            await using var w2 = await StartWitnessAsync(directory, "w2", vkey);
            WitnessEndpoint[] endpoints = [Endpoint(w1), Endpoint(w2)];
            var quorum = new CosignatureQuorum([endpoints[0].Key, endpoints[1].Key], 2);
            var transparency = await DirectoryTransparency.OpenAsync(store, TimeProvider.System, new TransparencyOptions { Witnesses = endpoints }, null, CancellationToken.None);

            var times = new List<double>();
            for (var i = -5; i < rounds; i++)
            {
                await store.PublishAsync(EmailAddress.Parse($"user{i + 5}@jedi.test"), "AA", [0x98, (byte)i], revoked: false, CancellationToken.None);
                var watch = Stopwatch.StartNew();
                await transparency.SequenceAsync(CancellationToken.None);
                var elapsed = watch.Elapsed.TotalMilliseconds;
                // Both witnesses' cosignatures must be on the served checkpoint, or the round does not count.
                quorum.Check(SignedNote.Parse(transparency.Log("jedi.test")!.Checkpoint!), DateTimeOffset.UtcNow);
                if (i >= 0)
                {
                    times.Add(elapsed);
                }
            }

            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"new epoch -> checkpoint cosigned by 2 witnesses, {rounds} rounds: median {times[times.Count / 2]:N1} ms, p95 {times[(int)(times.Count * 0.95)]:N1} ms, max {times[^1]:N1} ms"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    private static WitnessEndpoint Endpoint(WitnessServer witness) =>
        new(new Uri($"http://{witness.Endpoints[0]}/"), CosignatureVerifier.Parse(witness.VerifierKey));

    private static Task<WitnessServer> StartWitnessAsync(string directory, string name, string vkey) =>
        WitnessServer.StartAsync(new WitnessConfig
        {
            Name = $"witness.test/{name}",
            Database = Path.Combine(directory, name + ".db"),
            Listen = ["127.0.0.1:0"],
            Logs = [vkey],
            CheckpointsPerMinute = 0,
        }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    private static void Monitor(int bindings, int days)
    {
        const string Owner = "luke@jedi.test";
        // A new domain's log: Ed25519 VRF and history chains, as DirectoryTransparency makes it.
        var log = new KeyTransparencyLog(new NoteSigner(LogLocation.Origin("jedi.test"), NoteSigner.GeneratePrivateKey()),
            VrfSuite.Ed25519, KtVrf.GenerateSecretKey(VrfSuite.Ed25519), history: true);
        var others = new StagedBindingBatch(log, bindings);
        others.StageAll();
        var records = new List<HistoryRecord> { new(1, 0, new byte[20], new byte[32], false) };
        var chain = BindingHistory.Start();
        log.Stage(Owner, new Binding(1, records[0].Fingerprint, records[0].CertificateHash, false) { History = chain });
        chain = BindingHistory.Next(chain, records[0]);
        var start = DateTimeOffset.UtcNow.AddDays(-days);
        log.Seal(start);

        long daily = 0;
        var largest = 0;
        var held = log.Size;
        var judged = 1L;
        var random = new Random(11);
        for (var day = 1; day <= days; day++)
        {
            // A live domain: some other addresses change every day; the owner's key changes once, mid-period.
            for (var k = 0; k < 20; k++)
            {
                log.Stage($"user{random.Next(bindings)}@jedi.test", new Binding(day + 1, new byte[20], new byte[32], false) { History = new byte[32] });
            }

            if (day == days / 2)
            {
                var record = new HistoryRecord(2, log.Size, RandomNumberGenerator.GetBytes(20), new byte[32], false);
                log.Stage(Owner, new Binding(2, record.Fingerprint, record.CertificateHash, false) { History = chain });
                chain = BindingHistory.Next(chain, record);
                records.Add(record);
            }

            log.Seal(start.AddDays(day));
            // A daily check: the lookup (consistency from yesterday) and the history from the version judged last.
            var proof = log.Prove(Owner, held)!;
            var history = HistoryAnswerCodec.Encode(records[(int)(judged - 1)..]);
            daily += proof.Length + history.Length;
            largest = Math.Max(largest, proof.Length + history.Length);
            held = log.Size;
            judged = records.Count;
        }

        var onceProof = log.Prove(Owner, 1)!.Length;
        var onceHistory = HistoryAnswerCodec.Encode(records).Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"monitor, 1 address among {bindings:N0} bindings, {days} daily epochs: checking daily {daily:N0} B in all (largest {largest:N0} B), checking once at the end {onceProof + onceHistory:N0} B (lookup {onceProof:N0} + history {onceHistory:N0})"));
    }

    /// <summary>The domain's other bindings, prepared on every core (the VRF is the costly part).</summary>
    private sealed class StagedBindingBatch(KeyTransparencyLog log, int count)
    {
        public void StageAll()
        {
            var prepared = new StagedBinding[count];
            Parallel.For(0, count, i => prepared[i] = log.Prepare($"user{i}@jedi.test", new Binding(1, new byte[20], new byte[32], false) { History = BindingHistory.Start() }));
            foreach (var staged in prepared)
            {
                log.Stage(staged);
            }
        }
    }
}
