using System.Collections.Concurrent;
using System.Diagnostics;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Testing.Beds;
using Keypost.Testing.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// Issue #15's promise for several nodes: two `keypost serve` processes share one PostgreSQL database (queue and
/// mailboxes), senders spread 1,000 messages over both (moving to the other node when one fails, as a client does
/// between MX hosts), and node A is SIGKILLed repeatedly. Every message answered 250 must reach Luke's mailbox in the
/// database; a duplicate (a delivery whose outcome died with its node, redone after the lease ran out, or a 250 lost
/// with the connection) is allowed at most once more per message, and counted.
/// </summary>
public sealed class TwoNodeCrashDurabilityTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    private const int MessageCount = 1000;
    private const int Senders = 4;
    private const int Kills = 3;
    private const int LeaseSeconds = 5;

    private static readonly TimeSpan SendingBudget = TimeSpan.FromSeconds(180); // generous: losses, not speed, are under test
    private static readonly TimeSpan DrainBudget = TimeSpan.FromSeconds(120);

    [PostgresFact]
    public async Task Every_acknowledged_message_is_delivered_at_most_twice_while_one_of_two_nodes_is_SIGKILLed_repeatedly()
    {
        // One bed per node (each its own directory); the directory and accounts are in the database, so Luke is
        // made once, through node A.
        await using var bedA = TestBed.Create("keypost-node-a");
        await using var bedB = TestBed.Create("keypost-node-b");
        var nodeA = await bedA.ServeAsync(OnDatabase(TestBed.Jedi));
        var nodeB = await bedB.ServeAsync(OnDatabase(TestBed.Jedi with { Accounts = new Dictionary<string, string>() }));
        var tokens = Enumerable.Range(0, MessageCount).Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var failedAttempts = 0;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();

        using var sending = new CancellationTokenSource(SendingBudget);
        var senders = Enumerable.Range(0, Senders)
            .Select(i => Task.Run(() => CrashDurabilityTests.SendAllAsync(
                // Sender 0 knows node A only: it waits out each restart, so traffic is left for every kill however
                // fast node B takes the rest. Sender 1 starts on A and moves to B when A dies; 2 and 3 start on B.
                i switch { 0 => [nodeA.Inbound], 1 => [nodeA.Inbound, nodeB.Inbound], _ => [nodeB.Inbound, nodeA.Inbound] },
                tokens.Where((_, n) => n % Senders == i).ToList(), acknowledged, () => Interlocked.Increment(ref failedAttempts), sending.Token)))
            .ToArray();

        var acknowledgedAtKills = new List<int>();
        for (var k = 1; k <= Kills; k++)
        {
            var threshold = (k * MessageCount / (Kills + 2)) + random.Next(-MessageCount / 20, MessageCount / 20);
            while (acknowledged.Count < threshold && !sending.IsCancellationRequested && !senders.All(s => s.IsCompleted))
            {
                await Task.Delay(10);
            }

            await Task.Delay(random.Next(0, 100));
            nodeA.Server.Kill();
            acknowledgedAtKills.Add(acknowledged.Count);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: SIGKILL #{k} of node A at {acknowledgedAtKills[^1]} acknowledged");
            // Node A stays down a moment: node B takes the senders that move, and A's claims wait out their lease.
            await Task.Delay(random.Next(200, 800));
            await nodeA.Server.StartAsync(TimeSpan.FromSeconds(60));
        }

        await Task.WhenAll(senders);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: senders done; {acknowledged.Count} acknowledged, {failedAttempts} failed attempts, seed {seed}, node A started {nodeA.Server.Starts} times");

        var found = await DrainAsync(database.ConnectionString, acknowledged.Keys.ToHashSet());
        var duplicates = found.Where(f => f.Value > 1).ToList();
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: the mailbox holds {found.Values.Sum()} messages; {duplicates.Count} delivered more than once ({duplicates.Sum(d => d.Value - 1)} extra copies)");

        Assert.All(acknowledgedAtKills, count => Assert.True(count < MessageCount, $"a kill came after all {MessageCount} were acknowledged"));
        Assert.Equal(MessageCount, acknowledged.Count);
        var lost = acknowledged.Keys.Where(t => !found.ContainsKey(t)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged messages never reached the mailbox, e.g. {string.Join(", ", lost.Take(5))}\n"
            + $"node A:\n{CrashDurabilityTests.Head(nodeA.Server.RecentOutput)}\nnode B:\n{CrashDurabilityTests.Head(nodeB.Server.RecentOutput)}");
        Assert.All(found, f => Assert.True(f.Value <= 2, $"{f.Key} was delivered {f.Value} times"));
    }

    private LocalDomainOptions OnDatabase(LocalDomainOptions options) =>
        (options with { InboundPort = 0, PublishDns = false }).Then(config => config.Storage = new StorageConfig
        {
            Kind = StorageConfig.Postgres,
            ConnectionString = database.ConnectionString,
            QueueLeaseSeconds = LeaseSeconds,
        });

    // Waits (bounded) until every expected token is in the database's mailboxes; returns how many copies of each arrived.
    private static async Task<Dictionary<string, int>> DrainAsync(string connectionString, HashSet<string> expected)
    {
        var deadline = DateTime.UtcNow + DrainBudget;
        await using var source = NpgsqlDataSource.Create(connectionString);
        while (true)
        {
            var copies = new Dictionary<string, int>(StringComparer.Ordinal);
            await using (var command = source.CreateCommand("SELECT body FROM store_message"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var match = CrashDurabilityTests.Token().Match(System.Text.Encoding.UTF8.GetString((byte[])reader[0]));
                    if (match.Success)
                    {
                        copies[match.Groups[1].Value] = copies.GetValueOrDefault(match.Groups[1].Value) + 1;
                    }
                }
            }

            if (expected.All(copies.ContainsKey) || DateTime.UtcNow >= deadline)
            {
                return copies;
            }

            await Task.Delay(500);
        }
    }
}
