using Keypost.Core.Addresses;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Server.Witness;
using Keypost.Testing;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Server.Tests.Witness;

/// <summary>Issue #11 item 2: the directory submits each new checkpoint to its witnesses and serves their cosignatures.</summary>
public sealed class CosigningTests : IDisposable
{
    private readonly TempDirectory _directory = new("keypost-cosign");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    [Fact]
    public async Task Each_new_checkpoint_is_served_with_a_cosignature_that_meets_the_client_quorum_also_after_a_restart()
    {
        var database = await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
        var store = new DirectoryStore(database, TimeProvider.System);
        await store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        var logVkey = (await OpenAsync(store, []))!.VerifierKey("jedi.test")!;

        await using var witness = await WitnessServer.StartAsync(new WitnessConfig
        {
            Name = "witness.test/w1",
            Database = _directory.Combine("witness.db"),
            Listen = ["127.0.0.1:0"],
            Logs = [logVkey],
            CheckpointsPerMinute = 0,
        }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        // The log knows the witness by its vkey only.
        var endpoint = new WitnessEndpoint(new Uri($"http://{witness.Endpoints[0]}/"), CosignatureVerifier.Parse(witness.VerifierKey));
        var quorum = CosignatureQuorum.Default([endpoint.Key]);

        var transparency = await OpenAsync(store, [endpoint]);
        for (var i = 0; i < 2; i++)
        {
            await store.PublishAsync(EmailAddress.Parse($"trooper{i}@jedi.test"), "AA", [0x98, (byte)i], revoked: false, CancellationToken.None);
            await transparency.SequenceAsync(CancellationToken.None);
            var served = SignedNote.Parse(transparency.Log("jedi.test")!.Checkpoint!);
            Assert.Equal(["witness.test/w1"], quorum.Check(served, DateTimeOffset.UtcNow));
            Assert.Equal(i + 1, Checkpoint.Parse(served.Text).Size);
        }

        // A restarted directory does not know what the witness holds: the 409 tells it, and the next epoch is cosigned.
        var restarted = await OpenAsync(store, [endpoint]);
        await store.PublishAsync(EmailAddress.Parse("trooper9@jedi.test"), "AA", [0x98, 9], revoked: false, CancellationToken.None);
        await restarted.SequenceAsync(CancellationToken.None);
        var afterRestart = SignedNote.Parse(restarted.Log("jedi.test")!.Checkpoint!);
        Assert.Equal(3, Checkpoint.Parse(afterRestart.Text).Size);
        Assert.Single(quorum.Check(afterRestart, DateTimeOffset.UtcNow));
        // The cosigned checkpoint still verifies with the log key (the witness lines are ignored by it).
        NoteVerifier.Parse(logVkey).Verify(System.Text.Encoding.UTF8.GetBytes(restarted.Log("jedi.test")!.Checkpoint!));
    }

    [Fact]
    public async Task A_restarted_directory_serves_the_kept_cosignatures_at_once_even_with_its_witness_down()
    {
        var database = await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
        var store = new DirectoryStore(database, TimeProvider.System);
        await store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        var logVkey = (await OpenAsync(store, []))!.VerifierKey("jedi.test")!;
        var config = new WitnessConfig
        {
            Name = "witness.test/w1",
            Database = _directory.Combine("witness.db"),
            Listen = ["127.0.0.1:0"],
            Logs = [logVkey],
            CheckpointsPerMinute = 0,
        };

        WitnessEndpoint endpoint;
        await using (var witness = await WitnessServer.StartAsync(config, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None))
        {
            endpoint = new WitnessEndpoint(new Uri($"http://{witness.Endpoints[0]}/"), CosignatureVerifier.Parse(witness.VerifierKey));
            var transparency = await OpenAsync(store, [endpoint]);
            await store.PublishAsync(EmailAddress.Parse("trooper1@jedi.test"), "AA", [0x98, 1], revoked: false, CancellationToken.None);
            await transparency.SequenceAsync(CancellationToken.None);
        }

        // The witness is gone; the restarted directory has sealed nothing new, yet serves the cosigned checkpoint.
        var quorum = CosignatureQuorum.Default([endpoint.Key]);
        var restarted = await OpenAsync(store, [endpoint]);
        var served = SignedNote.Parse(restarted.Log("jedi.test")!.Checkpoint!);
        Assert.Equal(1, Checkpoint.Parse(served.Text).Size);
        Assert.Equal(["witness.test/w1"], quorum.Check(served, DateTimeOffset.UtcNow));
        // A witness the kept note does not name (configured since) is not satisfied by it.
        var stranger = CosignatureVerifier.Parse(new Cosigner("witness.test/w2", NoteSigner.GeneratePrivateKey()).VerifierKey);
        Assert.Throws<Keypost.Transparency.Lookup.LookupException>(() => new CosignatureQuorum([stranger], 1).Check(served, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_checkpoint_sealed_while_the_witness_was_down_is_cosigned_at_the_first_run_after_a_restart()
    {
        var database = await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
        var store = new DirectoryStore(database, TimeProvider.System);
        await store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        var logVkey = (await OpenAsync(store, []))!.VerifierKey("jedi.test")!;
        var config = new WitnessConfig
        {
            Name = "witness.test/w1",
            Database = _directory.Combine("witness.db"),
            Listen = ["127.0.0.1:0"],
            Logs = [logVkey],
            CheckpointsPerMinute = 0,
        };

        await using var witness = await WitnessServer.StartAsync(config, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var endpoint = new WitnessEndpoint(new Uri($"http://{witness.Endpoints[0]}/"), CosignatureVerifier.Parse(witness.VerifierKey));
        var quorum = CosignatureQuorum.Default([endpoint.Key]);

        // Sealed by a directory that had no witness configured (or could not reach it).
        var alone = await OpenAsync(store, []);
        await store.PublishAsync(EmailAddress.Parse("trooper1@jedi.test"), "AA", [0x98, 1], revoked: false, CancellationToken.None);
        await alone.SequenceAsync(CancellationToken.None);

        var restarted = await OpenAsync(store, [endpoint]);
        Assert.Throws<Keypost.Transparency.Lookup.LookupException>(() => quorum.Check(SignedNote.Parse(restarted.Log("jedi.test")!.Checkpoint!), DateTimeOffset.UtcNow));
        Assert.Equal(0, await restarted.SequenceAsync(CancellationToken.None));
        var served = SignedNote.Parse(restarted.Log("jedi.test")!.Checkpoint!);
        Assert.Equal(1, Checkpoint.Parse(served.Text).Size);
        Assert.Single(quorum.Check(served, DateTimeOffset.UtcNow));
    }

    private static Task<DirectoryTransparency> OpenAsync(DirectoryStore store, IReadOnlyList<WitnessEndpoint> witnesses) =>
        DirectoryTransparency.OpenAsync(store, TimeProvider.System, new TransparencyOptions { Witnesses = witnesses }, null, CancellationToken.None);
}
