using System.Text;
using Keypost.Core.Addresses;
using Keypost.Mail.Queue;
using Keypost.Testing.Postgres;
using Npgsql;

namespace Keypost.Mail.Tests.Queue;

/// <summary>
/// The queue on PostgreSQL as several nodes share it (issue #15): what one node queues another reads back whole; a
/// due message is claimed by one node only; a node that stops mid-delivery loses its claim when the lease runs out,
/// and another node takes the message.
/// </summary>
public sealed class PostgresQueueTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Subject: kept\r\n\r\nbody\r\n");
    private readonly List<IDisposable> _opened = [];
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        if (PostgresCluster.Missing is null || Testing.ExternalTool.Required)
        {
            // Each test its own database: counts and claims are about this test's messages only.
            _connectionString = await database.CreateAnotherAsync();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var opened in _opened.AsEnumerable().Reverse())
        {
            opened.Dispose();
        }

        if (_connectionString.Length > 0)
        {
            await database.Cluster.DropDatabaseAsync(_connectionString);
        }
    }

    [PostgresFact]
    public async Task What_one_node_queues_another_reads_back_whole_with_its_envelope_and_folder()
    {
        var nodeA = await OpenAsync("a");
        var nodeB = await OpenAsync("b");

        var id = await nodeA.EnqueueAsync(Envelope() with { Folder = "Junk", RequireTls = true }, new MemoryStream(Body), CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => nodeA.EnqueueAsync(Envelope() with { Folder = "../x" }, new MemoryStream(Body), CancellationToken.None));

        var message = Assert.Single(await nodeB.ListAsync(CancellationToken.None));
        Assert.Equal(id, message.Id);
        Assert.Equal("Junk", message.Folder);
        // RFC 8689: the REQUIRETLS tag travels with the message to whichever node delivers it.
        Assert.True(message.RequireTls);
        Assert.Equal(EmailAddress.Parse("leia@rebel.test"), message.ReversePath);
        Assert.True(message.SmtpUtf8);
        Assert.Equal(Body.Length, message.Size);
        Assert.Equal(["luke@jedi.test", "han@falcon.test"], message.Recipients.Select(r => r.Address.ToString()));
        Assert.All(message.Recipients, r => Assert.Equal(RecipientState.Pending, r.State));
        Assert.Null(nodeB.Directory);
        Assert.NotNull(await nodeB.GetNextDueAsync(CancellationToken.None));
        Assert.Equal(1, nodeB.Depth);
        await using var data = nodeB.OpenData(id);
        using var copy = new MemoryStream();
        await data.CopyToAsync(copy);
        Assert.Equal(Body, copy.ToArray());
    }

    [PostgresFact]
    public async Task Two_nodes_claiming_at_once_each_get_different_messages_and_together_all()
    {
        var nodeA = await OpenAsync("a");
        var nodeB = await OpenAsync("b");
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await (i % 2 == 0 ? nodeA : nodeB).EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None));
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? nodeA : nodeB).GetDueAsync(10, CancellationToken.None)));

        var claimed = claims.SelectMany(c => c.Select(m => m.Id)).ToList();
        Assert.Equal(claimed.Count, claimed.Distinct().Count());
        Assert.Equal(ids.Order(), claimed.Order());
        Assert.Empty(await nodeA.GetDueAsync(100, CancellationToken.None));
    }

    [PostgresFact]
    public async Task A_node_that_dies_mid_delivery_loses_its_lease_and_another_node_delivers_the_message()
    {
        var dying = await OpenAsync("dying", lease: TimeSpan.FromSeconds(2));
        var survivor = await OpenAsync("survivor");
        var id = await dying.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        Assert.Equal(id, Assert.Single(await dying.GetDueAsync(10, CancellationToken.None)).Id);
        // The node "dies": it never records an outcome, and its pool goes away.
        dying.Dispose();
        _opened.Remove(dying);

        Assert.Empty(await survivor.GetDueAsync(10, CancellationToken.None));
        IReadOnlyList<QueuedMessage> taken = [];
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (taken.Count == 0)
        {
            // Waiting for the lease to run out on the database's clock; the guard only stops a hang.
            await Task.Delay(TimeSpan.FromMilliseconds(250), guard.Token);
            taken = await survivor.GetDueAsync(10, CancellationToken.None);
        }

        var message = Assert.Single(taken);
        Assert.Equal(id, message.Id);
        Assert.True(await survivor.RecordAsync(id, message.Recipients.Select(r => RecipientOutcome.Delivered(r.Index)), CancellationToken.None));
        Assert.Empty(await survivor.ListAsync(CancellationToken.None));
        Assert.Null(await survivor.GetNextDueAsync(CancellationToken.None));
    }

    [PostgresFact]
    public async Task A_node_still_delivering_renews_its_lease_so_no_other_node_starts_the_same_delivery()
    {
        var working = await OpenAsync("working", lease: TimeSpan.FromSeconds(2));
        var other = await OpenAsync("other");
        var id = await working.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        Assert.Equal(id, Assert.Single(await working.GetDueAsync(10, CancellationToken.None)).Id);

        // Three leases long, the delivery goes on (no outcome recorded): renewed every third of a lease, the claim holds.
        var until = DateTimeOffset.UtcNow.AddSeconds(6);
        while (DateTimeOffset.UtcNow < until)
        {
            Assert.Empty(await other.GetDueAsync(10, CancellationToken.None));
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        // The node stops before recording: renewals stop with it, the lease runs out and the other node takes over.
        working.Dispose();
        _opened.Remove(working);
        IReadOnlyList<QueuedMessage> taken = [];
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (taken.Count == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), guard.Token);
            taken = await other.GetDueAsync(10, CancellationToken.None);
        }

        Assert.Equal(id, Assert.Single(taken).Id);
    }

    [PostgresFact]
    public async Task A_deferral_ends_the_claim_so_any_node_may_retry_when_due()
    {
        var nodeA = await OpenAsync("a");
        var nodeB = await OpenAsync("b");
        var id = await nodeA.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        var claimed = Assert.Single(await nodeA.GetDueAsync(10, CancellationToken.None));
        Assert.Empty(await nodeB.GetDueAsync(10, CancellationToken.None));

        var done = await nodeA.RecordAsync(id, [RecipientOutcome.Delivered(0), RecipientOutcome.Deferred(1, "451 4.3.0 try later", DateTimeOffset.UtcNow.AddHours(-1))], CancellationToken.None);

        Assert.False(done);
        var retried = Assert.Single(await nodeB.GetDueAsync(10, CancellationToken.None));
        Assert.Equal(claimed.Id, retried.Id);
        Assert.Equal([RecipientState.Delivered, RecipientState.Deferred], retried.Recipients.Select(r => r.State));
        Assert.Equal("451 4.3.0 try later", retried.Recipients[1].LastError);
        Assert.Equal(1, retried.Recipients[1].Attempts);
    }

    [PostgresFact]
    public async Task A_message_queued_on_one_node_wakes_the_delivery_of_another()
    {
        var nodeA = await OpenAsync("a");
        var nodeB = await OpenAsync("b");
        var woken = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        nodeB.MessageEnqueued += (_, id) => woken.TrySetResult(id);

        var queued = await nodeA.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);

        Assert.Equal(queued, await woken.Task.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    private static QueueEnvelope Envelope() =>
        new(EmailAddress.Parse("leia@rebel.test"), [EmailAddress.Parse("luke@jedi.test"), EmailAddress.Parse("han@falcon.test")], SmtpUtf8: true);

    // A node: its own connection pool (application name) and its own queue object on the shared database.
    private async Task<MessageQueue> OpenAsync(string node, TimeSpan? lease = null)
    {
        var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_connectionString) { ApplicationName = node }.ConnectionString);
        var queue = await MessageQueue.OpenPostgresAsync(source, new MessageQueueOptions { LeaseDuration = lease ?? TimeSpan.FromMinutes(10) });
        _opened.Add(source);
        _opened.Add(queue);
        return queue;
    }
}
