using Keypost.Core.Addresses;
using Keypost.Directory.Storage;
using Keypost.Testing.Postgres;
using Npgsql;

namespace Keypost.Directory.Tests.Transparency;

/// <summary>
/// The transparency contract on PostgreSQL (a fresh database per test: the contract's tests all use jedi.test), and
/// what only several nodes on one database show: one sequencer at a time, one history, the same checkpoint served.
/// </summary>
[OnPostgres]
public sealed class PostgresDirectoryTransparencyTests(PostgresDatabase cluster) : DirectoryTransparencyContract, IClassFixture<PostgresDatabase>
{
    private string _connectionString = null!;
    private int _instances;

    public override async Task InitializeAsync()
    {
        _connectionString = await cluster.CreateAnotherAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await cluster.Cluster.DropDatabaseAsync(_connectionString);
    }

    [ContractFact]
    public async Task Two_nodes_sequencing_at_once_append_one_history_and_serve_the_same_checkpoint()
    {
        var storeB = await OpenStoreAsync();
        var nodeA = await OpenAsync();
        var nodeB = await OpenAsync(store: storeB);
        var addresses = new List<EmailAddress>();
        var sealedEpochs = 0;
        for (var round = 0; round < 5; round++)
        {
            var onA = EmailAddress.Parse($"a{round}@jedi.test");
            var onB = EmailAddress.Parse($"b{round}@jedi.test");
            await PublishAsync(onA);
            await PublishAsync(onB, storeB);
            addresses.AddRange([onA, onB]);
            var runs = await Task.WhenAll(nodeA.SequenceAsync(CancellationToken.None), nodeB.SequenceAsync(CancellationToken.None));
            sealedEpochs += runs.Sum();
        }

        // The node that was not the sequencer in the last round catches up at its next run, sealing nothing.
        sealedEpochs += await nodeA.SequenceAsync(CancellationToken.None) + await nodeB.SequenceAsync(CancellationToken.None);

        // One epoch a round: both nodes' publications logged once, by whichever node held the lock, and no epoch
        // sealed twice (a fork would have failed to store and turned that node's log off).
        Assert.Equal(5, sealedEpochs);
        Assert.Equal(5L, await Store.Database.ScalarAsync("SELECT count(*) FROM kt_epochs WHERE domain = 'jedi.test'", CancellationToken.None));
        Assert.Equal(5, nodeA.Log("jedi.test")!.Size);
        Assert.Equal(nodeA.Log("jedi.test")!.Checkpoint, nodeB.Log("jedi.test")!.Checkpoint);
        foreach (var address in addresses)
        {
            var viaA = await VerifyServedAsync(nodeA, address);
            var viaB = await VerifyServedAsync(nodeB, address, viaA.Checkpoint);
            Assert.Equal(1, viaB.Binding!.Version);
        }

        // A third node starting now replays the same history.
        var nodeC = await OpenAsync(store: await OpenStoreAsync());
        Assert.Equal(nodeA.Log("jedi.test")!.Checkpoint, nodeC.Log("jedi.test")!.Checkpoint);
    }

    [ContractFact]
    public async Task A_node_without_the_sequencer_lock_leaves_its_publications_to_the_holder()
    {
        var storeB = await OpenStoreAsync();
        var nodeA = await OpenAsync();
        await PublishAsync(Luke);

        // Node B is the sequencer (it holds the lock) at the moment node A runs.
        await using (await storeB.Database.TryLockAsync(LockScope.Sequencer, "jedi.test", CancellationToken.None))
        {
            Assert.Null(await Store.Database.TryLockAsync(LockScope.Sequencer, "jedi.test", CancellationToken.None));
            Assert.Equal(0, await nodeA.SequenceAsync(CancellationToken.None));
            Assert.Equal(0, nodeA.Log("jedi.test")!.Size);
        }

        var nodeB = await OpenAsync(store: storeB);
        Assert.Equal(1, await nodeB.SequenceAsync(CancellationToken.None));
        Assert.Equal(0, await nodeA.SequenceAsync(CancellationToken.None));
        Assert.Equal(1, (await VerifyServedAsync(nodeA, Luke)).Binding!.Version);
    }

    protected override Task<DirectoryDatabase> CreateDatabaseAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(_connectionString) { ApplicationName = "node-" + _instances++ };
        return DirectoryDatabase.OpenPostgresAsync(NpgsqlDataSource.Create(builder.ConnectionString), ownsDataSource: true, CancellationToken.None);
    }
}
