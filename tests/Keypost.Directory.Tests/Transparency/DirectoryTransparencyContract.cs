using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Testing;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;
using Keypost.Testing.Postgres;

namespace Keypost.Directory.Tests.Transparency;

/// <summary>
/// The directory's transparency log on each engine (one subclass per engine: SQLite, PostgreSQL): sequencing,
/// replay after a restart, history chains, and proofs checked by the client's verifier.
/// </summary>
public abstract class DirectoryTransparencyContract : IAsyncLifetime
{
    protected static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly List<DirectoryDatabase> _opened = [];
    private DirectoryStore _store = null!;
    private KeyPublisher _publisher = null!;

    protected DirectoryStore Store => _store;

    public virtual async Task InitializeAsync()
    {
        _store = await OpenStoreAsync();
        await _store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        _publisher = new KeyPublisher(_store, new CertificatePolicy(), TimeProvider.System);
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var database in _opened)
        {
            await database.DisposeAsync();
        }
    }

    /// <summary>A database on this test's storage: each call is another instance on the same data (another node).</summary>
    protected abstract Task<DirectoryDatabase> CreateDatabaseAsync();

    /// <summary>Another directory store on this test's storage (another node's).</summary>
    protected async Task<DirectoryStore> OpenStoreAsync()
    {
        var database = await CreateDatabaseAsync();
        _opened.Add(database);
        return new DirectoryStore(database, TimeProvider.System);
    }

    protected Task<DirectoryTransparency> OpenAsync(TransparencyOptions? options = null, DirectoryStore? store = null) =>
        DirectoryTransparency.OpenAsync(store ?? _store, TimeProvider.System, options ?? new TransparencyOptions(), null, CancellationToken.None);

    protected async Task<Certificate> PublishAsync(EmailAddress address, DirectoryStore? store = null)
    {
        var key = new KeyGenerator().Generate(new KeyGenerationRequest(address));
        var publisher = store is null ? _publisher : new KeyPublisher(store, new CertificatePolicy(), TimeProvider.System);
        await publisher.PublishAsync(key.Certificate.ToBinary(), null, CancellationToken.None);
        return key.Certificate;
    }

    private static LookupVerifier Verifier(DirectoryTransparency transparency) =>
        new(NoteVerifier.Parse(transparency.VerifierKey("jedi.test")!), DirectoryTransparency.OriginFor("jedi.test"));

    /// <summary>The proof <paramref name="transparency"/> serves for the certificate WKD serves, checked by the client's verifier.</summary>
    protected async Task<VerifiedLookup> VerifyServedAsync(DirectoryTransparency transparency, EmailAddress address, TrustedCheckpoint? trusted = null)
    {
        var current = (await _store.FindCurrentAsync(address, CancellationToken.None))!;
        var proof = transparency.Log("jedi.test")!.Prove(address.Canonical, trusted?.Size ?? 0)!;
        return Verifier(transparency).VerifyCertificate(address.Canonical, proof, trusted, DateTimeOffset.UtcNow,
            Convert.FromHexString(current.Fingerprint), current.Data);
    }

    [ContractFact]
    public async Task A_published_key_is_proved_after_one_sequencing_and_after_a_restart()
    {
        await PublishAsync(Luke);
        var transparency = await OpenAsync();
        Assert.Equal(1, await transparency.SequenceAsync(CancellationToken.None));
        var first = await VerifyServedAsync(transparency, Luke);
        Assert.Equal(1, first.Binding!.Version);

        if (_store.Database is SqliteDirectoryDatabase file)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.Path));
        }

        var reopened = await OpenAsync();
        Assert.Equal(transparency.VerifierKey("jedi.test"), reopened.VerifierKey("jedi.test"));
        Assert.Equal(transparency.Log("jedi.test")!.Checkpoint, reopened.Log("jedi.test")!.Checkpoint);
        Assert.Equal(0, await reopened.SequenceAsync(CancellationToken.None));

        await PublishAsync(Luke);
        Assert.Equal(1, await reopened.SequenceAsync(CancellationToken.None));
        var second = await VerifyServedAsync(reopened, Luke, first.Checkpoint);
        Assert.Equal(2, second.Binding!.Version);
        Assert.Equal(2, second.Checkpoint.Size);
    }

    [ContractFact]
    public async Task A_new_log_gets_the_Ed25519_suite()
    {
        await PublishAsync(Luke);
        var transparency = await OpenAsync();
        await transparency.SequenceAsync(CancellationToken.None);
        Assert.Equal(VrfSuite.Ed25519, transparency.Log("jedi.test")!.Suite);
        Assert.Equal(VrfSuite.Ed25519, (await VerifyServedAsync(transparency, Luke)).Epoch.Suite);
    }

    [ContractFact]
    public async Task A_log_made_before_the_suite_was_recorded_stays_P256_across_restarts()
    {
        // What migration 3 leaves of a log created under migration 2: its row, with the column's default suite (1).
        await _store.Database.ExecuteAsync(
            "INSERT INTO kt_keys(domain, log_key, vrf_key, created_at) VALUES ('jedi.test', $1, $2, '2026-11-29T00:00:00Z')",
            CancellationToken.None,
            NoteSigner.GeneratePrivateKey(),
            EcVrfP256.GenerateSecretKey());

        await PublishAsync(Luke);
        var transparency = await OpenAsync();
        await transparency.SequenceAsync(CancellationToken.None);
        var first = await VerifyServedAsync(transparency, Luke);
        Assert.Equal(VrfSuite.P256, first.Epoch.Suite);
        Assert.Equal("KPLP\u0001"u8.ToArray(), transparency.Log("jedi.test")!.Prove(Luke.Canonical)![..5]);

        var reopened = await OpenAsync();
        await PublishAsync(Luke);
        await reopened.SequenceAsync(CancellationToken.None);
        var second = await VerifyServedAsync(reopened, Luke, first.Checkpoint);
        Assert.Equal(VrfSuite.P256, second.Epoch.Suite);
        Assert.Equal(2, second.Binding!.Version);

        // Made before history chains, it stays without them (format 1, no history answer) for life.
        Assert.False(second.Epoch.History);
        Assert.Null(second.Binding.History);
        Assert.Null(await reopened.HistoryAsync("jedi.test", Luke.Canonical, 0, CancellationToken.None));
    }

    [ContractFact]
    public async Task A_new_log_chains_every_version_across_restarts_and_batches_and_its_history_answer_verifies()
    {
        await PublishAsync(Luke);
        var transparency = await OpenAsync();
        await transparency.SequenceAsync(CancellationToken.None);
        Assert.True(transparency.Log("jedi.test")!.History);

        // Versions 2 and 3 in one epoch after a restart, version 4 after another: the chain survives both.
        var reopened = await OpenAsync();
        var replaced = await PublishAsync(Luke);
        await PublishAsync(Luke);
        await reopened.SequenceAsync(CancellationToken.None);
        reopened = await OpenAsync();
        await PublishAsync(Luke);
        await reopened.SequenceAsync(CancellationToken.None);

        var newest = await VerifyServedAsync(reopened, Luke);
        Assert.True(newest.Epoch.History);
        Assert.Equal(4, newest.Binding!.Version);
        var records = (await reopened.HistoryAsync("jedi.test", Luke.Canonical, 0, CancellationToken.None))!;
        Assert.Equal([1L, 2, 3, 4], records.Select(r => r.Version));
        Assert.Equal([0L, 1, 1, 2], records.Select(r => r.Epoch));
        Assert.Equal(replaced.Fingerprint, Convert.ToHexString(records[1].Fingerprint));
        Keypost.Transparency.Lookup.HistoryVerifier.Verify(Keypost.Transparency.Map.BindingHistory.Start(), 0, records, newest.Binding);

        // From a version already verified, only what came after.
        var tail = (await reopened.HistoryAsync("jedi.test", Luke.Canonical, 2, CancellationToken.None))!;
        Assert.Equal([3L, 4], tail.Select(r => r.Version));
    }

    [ContractFact]
    public async Task A_burst_of_publications_is_one_epoch()
    {
        var addresses = Enumerable.Range(0, 25).Select(i => EmailAddress.Parse($"trooper{i}@jedi.test")).ToList();
        foreach (var address in addresses)
        {
            await PublishAsync(address);
        }

        var transparency = await OpenAsync();
        Assert.Equal(1, await transparency.SequenceAsync(CancellationToken.None));
        Assert.Equal(1, transparency.Log("jedi.test")!.Size);
        foreach (var address in addresses.Take(5))
        {
            await VerifyServedAsync(transparency, address);
        }
    }

    [ContractFact]
    public async Task A_certificate_swapped_by_SQL_is_refused_as_differing_from_the_logged_one()
    {
        await PublishAsync(Luke);
        var transparency = await OpenAsync();
        await transparency.SequenceAsync(CancellationToken.None);

        // The operator (or an intruder) bypasses the directory's code.
        var forged = new KeyGenerator().Generate(new KeyGenerationRequest(Luke)).Certificate;
        await _store.Database.ExecuteAsync(
            "UPDATE certificates SET data = $1, fingerprint = $2 WHERE address = 'luke@jedi.test' AND state = 'current'",
            CancellationToken.None,
            CertificateMinimizer.Minimize(forged, Luke).ToBinary(),
            forged.Fingerprint);

        Assert.Equal(0, await transparency.SequenceAsync(CancellationToken.None));
        var e = await Assert.ThrowsAsync<LookupException>(() => VerifyServedAsync(transparency, Luke));
        Assert.Equal(LookupCheck.CertificateMismatch, e.Check);
    }

    [ContractFact]
    public async Task An_idle_log_still_gets_an_epoch_each_interval()
    {
        var transparency = await OpenAsync(new TransparencyOptions { EpochInterval = TimeSpan.Zero });
        Assert.Equal(1, await transparency.SequenceAsync(CancellationToken.None));
        Assert.Equal(1, await transparency.SequenceAsync(CancellationToken.None));
        Assert.Equal(2, transparency.Log("jedi.test")!.Size);
        var idle = await OpenAsync();
        Assert.Equal(0, await idle.SequenceAsync(CancellationToken.None));
    }
}
