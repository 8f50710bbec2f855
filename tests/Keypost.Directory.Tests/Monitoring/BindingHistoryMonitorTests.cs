using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.Directory.Monitoring;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Testing;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Tests.Monitoring;

/// <summary>The server's owner monitor: which logged versions are the owner's own changes, and which are alerts.</summary>
public sealed class BindingHistoryMonitorTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Leia = EmailAddress.Parse("leia@jedi.test");
    private readonly TempDirectory _directory = new("keypost-kt-monitor");
    private DirectoryStore _store = null!;
    private DirectoryTransparency _transparency = null!;
    private BindingHistoryMonitor _monitor = null!;

    public async Task InitializeAsync()
    {
        var database = await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
        _store = new DirectoryStore(database, TimeProvider.System);
        await _store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        _transparency = await DirectoryTransparency.OpenAsync(_store, TimeProvider.System, new TransparencyOptions(), null, CancellationToken.None);
        _monitor = new BindingHistoryMonitor(database, BindingHistoryMonitor.DefaultRules, TimeProvider.System);
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    private async Task PublishAsync(EmailAddress address, string fingerprint, bool revoked = false, bool sequence = true)
    {
        await _store.PublishAsync(address, fingerprint, [0x98, (byte)fingerprint[0]], revoked, CancellationToken.None);
        if (sequence)
        {
            await _transparency.SequenceAsync(CancellationToken.None);
        }
    }

    /// <summary>One run as the server makes it: check, then commit each address (after mailing its alerts).</summary>
    private async Task<IReadOnlyList<BindingAlert>> RunAsync()
    {
        var alerts = new List<BindingAlert>();
        foreach (var check in await _monitor.CheckAsync(CancellationToken.None))
        {
            alerts.AddRange(check.Alerts);
            await _monitor.CommitAsync(check, CancellationToken.None);
        }

        return alerts;
    }

    [Fact]
    public async Task Enrollment_republication_and_the_owners_revocation_are_his_own_a_foreign_key_is_an_alert_sent_once()
    {
        await PublishAsync(Luke, "AAAA");
        await PublishAsync(Leia, "BBBB");
        Assert.Empty(await RunAsync());

        await PublishAsync(Luke, "AAAA");
        await PublishAsync(Luke, "AAAA", revoked: true);
        Assert.Empty(await RunAsync());

        // The operator publishes a key of his own for Luke: logged, and not made by Luke.
        await PublishAsync(Luke, "FFFF");
        var alert = Assert.Single(await RunAsync());
        Assert.Equal((Luke.Canonical, 4L, "FFFF"), (alert.Address, alert.Version, alert.Fingerprint));
        Assert.Equal(4, alert.Epoch);
        Assert.Contains("key FFFF, which is not a key you made", alert.ToString(), StringComparison.Ordinal);

        // Mailed once: the next run has nothing new; the forged key does not become one of Luke's.
        Assert.Empty(await RunAsync());
        await PublishAsync(Luke, "FFFF");
        Assert.Equal(5, Assert.Single(await RunAsync()).Version);
        await PublishAsync(Luke, "AAAA");
        Assert.Empty(await RunAsync());
    }

    [Fact]
    public async Task A_forgery_replaced_within_the_same_epoch_is_still_seen_and_nothing_unlogged_is_judged()
    {
        await PublishAsync(Luke, "AAAA");
        Assert.Empty(await RunAsync());

        // Forged and put back before the epoch: the map only ever held version 3, but version 2 was a row.
        await PublishAsync(Luke, "FFFF", sequence: false);
        await PublishAsync(Luke, "AAAA", sequence: false);
        Assert.Empty(await RunAsync());
        await _transparency.SequenceAsync(CancellationToken.None);
        var alert = Assert.Single(await RunAsync());
        Assert.Equal((2L, "FFFF", 1L), (alert.Version, alert.Fingerprint, alert.Epoch));
    }

    [Fact]
    public async Task The_owners_channel_and_a_WKS_confirmation_are_his_own_the_operators_key_is_an_alert_and_taking_the_address_back_is_his_own()
    {
        await PublishAsync(Luke, "AAAA");
        Assert.Empty(await RunAsync());

        // A new key through the account's authenticated channel, then one confirmed by WKS: both his own.
        await _store.PublishAsync(Luke, "BBBB", [0x98, 0x42], revoked: false, PublicationChannel.Account, CancellationToken.None);
        await _store.PublishAsync(Luke, "CCCC", [0x98, 0x43], revoked: false, PublicationChannel.Wks, CancellationToken.None);
        await _transparency.SequenceAsync(CancellationToken.None);
        Assert.Empty(await RunAsync());

        // The operator's key (the default channel, as `keypost directory publish` and an SQL write) still alerts.
        await PublishAsync(Luke, "FFFF");
        Assert.Equal("FFFF", Assert.Single(await RunAsync()).Fingerprint);

        // Luke takes the address back through his channel: his own change, no alert.
        await _store.PublishAsync(Luke, "CCCC", [0x98, 0x43], revoked: false, PublicationChannel.Account, CancellationToken.None);
        await _transparency.SequenceAsync(CancellationToken.None);
        Assert.Empty(await RunAsync());
    }

    [Fact]
    public async Task A_rotation_certified_by_the_owners_key_is_his_own_even_published_by_the_operator_a_key_certified_by_a_forgery_is_not()
    {
        var generator = new KeyGenerator();
        var publisher = new KeyPublisher(_store, new CertificatePolicy(), TimeProvider.System);
        var old = generator.Generate(new KeyGenerationRequest(Luke));
        await publisher.PublishAsync(old.Certificate.ToBinary(), null, CancellationToken.None);
        await _transparency.SequenceAsync(CancellationToken.None);
        Assert.Empty(await RunAsync());

        // `keypost key rotate`'s certificate, handed to the operator: the transition signature is the owner's.
        var next = generator.Generate(new KeyGenerationRequest(Luke));
        var certified = KeyLifecycle.CertifySuccessor(old.Unlock(""), next.Certificate, Luke, DateTimeOffset.UtcNow);
        await publisher.PublishAsync(certified.ToBinary(), null, CancellationToken.None);
        await _transparency.SequenceAsync(CancellationToken.None);
        Assert.Empty(await RunAsync());

        // Without the transition signature the same kind of key is the operator's: an alert.
        var forged = generator.Generate(new KeyGenerationRequest(Luke));
        await publisher.PublishAsync(forged.Certificate.ToBinary(), null, CancellationToken.None);
        await _transparency.SequenceAsync(CancellationToken.None);
        Assert.Equal(forged.Fingerprint, Assert.Single(await RunAsync()).Fingerprint);

        // The forged key certifying the next forgery proves nothing: the forged key is not one Luke made.
        var second = generator.Generate(new KeyGenerationRequest(Luke));
        var chained = KeyLifecycle.CertifySuccessor(forged.Unlock(""), second.Certificate, Luke, DateTimeOffset.UtcNow);
        await publisher.PublishAsync(chained.ToBinary(), null, CancellationToken.None);
        await _transparency.SequenceAsync(CancellationToken.None);
        Assert.Equal(second.Fingerprint, Assert.Single(await RunAsync()).Fingerprint);
    }

    [Fact]
    public async Task A_commit_never_moves_an_owner_back()
    {
        await PublishAsync(Luke, "AAAA");
        var early = Assert.Single(await _monitor.CheckAsync(CancellationToken.None));
        await PublishAsync(Luke, "FFFF");
        var late = Assert.Single(await _monitor.CheckAsync(CancellationToken.None));
        await _monitor.CommitAsync(late, CancellationToken.None);
        await _monitor.CommitAsync(early, CancellationToken.None);
        Assert.Empty(await _monitor.CheckAsync(CancellationToken.None));
    }
}
