using Keypost.Client;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Sending;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Core.Policy;
using Keypost.Directory.Publishing;
using Keypost.Directory.Storage;
using Keypost.Server.Gateway;
using Keypost.Testing;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;

namespace Keypost.Server.Tests.Transparency;

/// <summary>Issue #8's defences, from the sending side: Leia's client and rebel.test's gateway against jedi.test's log.</summary>
public sealed class ClientLogTests() : LukeOnTheLog("keypost-client")
{
    private LogStore Logs => new(ClientDirectory.Combine("logs.db"), TimeProvider.System);

    private KeyDiscovery Discovery(Func<string, bool>? required = null) =>
        new(new WkdClient(Http, cacheLifetime: TimeSpan.Zero), new PinStore(ClientDirectory.Combine("pins.db"), TimeProvider.System), KeyChangePolicy.Refuse,
            new LogChecker(Http, Logs, TimeProvider.System), required);

    private async Task SwapLukeBySqlAsync()
    {
        var forged = Generator.Generate(new KeyGenerationRequest(Luke)).Certificate;
        await Server.Server.Store.Database.ExecuteAsync(
            "UPDATE certificates SET data = $1, fingerprint = $2 WHERE address = 'luke@jedi.test' AND state = 'current'",
            CancellationToken.None,
            CertificateMinimizer.Minimize(forged, Luke).ToBinary(),
            forged.Fingerprint);
        // Behind the store's back, so its WKD cache is told as an operator's process would be by the cache lifetime.
        Server.Server.Store.NoteCertificatesChanged();
    }

    [Fact]
    public async Task Lookup_is_proved_by_the_log_and_the_pin_records_it()
    {
        var found = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        Assert.True(found.Usable, found.Explanation);
        Assert.NotNull(found.Log);
        Assert.Contains("proved by the log", found.Explanation, StringComparison.Ordinal);
        var pin = await new PinStore(ClientDirectory.Combine("pins.db"), TimeProvider.System).FindAsync(Luke, CancellationToken.None);
        Assert.Equal(PinMethod.Transparency, pin!.Method);
        var (vkey, held) = await Logs.FindAsync(LogLocation.Origin("jedi.test"), CancellationToken.None);
        Assert.Equal(Server.Server.Transparency!.VerifierKey("jedi.test"), vkey);
        Assert.Equal(found.Log!.Checkpoint.Size, held!.Size);
    }

    [Fact]
    public async Task With_a_trusted_witness_a_checkpoint_it_did_not_cosign_is_refused_and_one_it_cosigned_is_proved()
    {
        var witness = new Keypost.Transparency.Witness.Cosigner("witness.test/w1", NoteSigner.GeneratePrivateKey());
        await Logs.AddWitnessAsync(Keypost.Transparency.Witness.CosignatureVerifier.Parse(witness.VerifierKey), CancellationToken.None);

        var refused = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        Assert.False(refused.Usable);
        Assert.Contains("witness quorum", refused.Explanation, StringComparison.Ordinal);
        Assert.Null((await Logs.FindAsync(LogLocation.Origin("jedi.test"), CancellationToken.None)).Checkpoint);

        // The witness cosigns the served checkpoint (as the directory attaches an add-checkpoint answer).
        var log = Server.Server.Transparency!.Log("jedi.test")!;
        var text = SignedNote.Parse(log.Checkpoint!).Text;
        Assert.True(log.AddCosignatures(text, [witness.Cosign(text, DateTimeOffset.UtcNow.ToUnixTimeSeconds())]));
        var proved = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        Assert.True(proved.Usable, proved.Explanation);
    }

    [Fact]
    public async Task A_key_swapped_by_SQL_stops_the_send_naming_the_check()
    {
        Assert.True((await Discovery().DiscoverAsync(Luke, CancellationToken.None)).Usable);
        await SwapLukeBySqlAsync();

        var found = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        Assert.False(found.Usable);
        Assert.Contains("certificate differs from the logged one", found.LogFailure, StringComparison.Ordinal);

        var leia = Generator.Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
        // The send stops at discovery, before any connection to this (unreachable) submission server.
        var server = new MailServerConnection("127.0.0.1", 1, 1, "leia@rebel.test", "x", null);
        var sender = new MailSender(Discovery(), new SendPolicy(new Dictionary<string, EncryptionPolicy>(), EncryptionPolicy.Opportunistic), leia.Unlock(""), server, TimeProvider.System);
        var e = await Assert.ThrowsAsync<SendRefusedException>(() =>
            sender.SendAsync(new OutgoingMessage("leia@rebel.test", ["luke@jedi.test"], "Plans", "R2"), CancellationToken.None));
        Assert.Contains("transparency check failed: certificate differs from the logged one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gateway_refuses_a_key_swapped_by_SQL()
    {
        // rebel.test's own directory hosts only rebel.test: Luke's key comes by WKD from jedi.test.
        using var gatewayDirectory = new TempDirectory("keypost-gateway-kt");
        var store = new DirectoryStore(await DirectoryDatabase.OpenAsync(gatewayDirectory.Combine("keypost.db"), CancellationToken.None), TimeProvider.System);
        await store.EnsureDomainAsync("rebel.test", CancellationToken.None);
        var finder = new RecipientKeyFinder(store, new WkdClient(Http, cacheLifetime: TimeSpan.Zero), TimeProvider.System,
            new LogChecker(Http, new LogStore(gatewayDirectory.Combine("gateway-logs.db"), TimeProvider.System), TimeProvider.System));
        Assert.NotNull((await finder.FindAsync(Luke, CancellationToken.None)).Certificate);

        await SwapLukeBySqlAsync();
        var key = await finder.FindAsync(Luke, CancellationToken.None);
        Assert.True(key.IsRefused);
        Assert.Contains("certificate differs from the logged one", key.Problem, StringComparison.Ordinal);

        var policies = new DomainMailPolicies([new DomainMailPolicy("rebel.test", Gateway: true, null, null, FileUnverifiedEncryptedMailInJunk: false)]);
        var gateway = new SubmissionGateway(policies, finder, new PgpMimeComposer(), "mail.rebel.test");
        var message = "From: leia@rebel.test\r\nTo: luke@jedi.test\r\nSubject: plans\r\nContent-Type: text/plain\r\n\r\nR2\r\n"u8.ToArray();
        var envelope = new Keypost.Mail.Smtp.SmtpEnvelope(EmailAddress.Parse("leia@rebel.test"), [Luke]);
        var e = await Assert.ThrowsAsync<GatewayRefusedException>(() => gateway.ProcessAsync(envelope, message, CancellationToken.None));
        Assert.Contains("certificate differs from the logged one", e.Message, StringComparison.Ordinal);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task A_log_older_than_the_checkpoint_held_is_a_rollback_and_nothing_is_stored()
    {
        var origin = LogLocation.Origin("jedi.test");
        var vkey = Server.Server.Transparency!.VerifierKey("jedi.test")!;
        // The client has already seen this log at size 50 (the server has since been restored from an old backup).
        var newer = new TrustedCheckpoint(50, new byte[32]);
        await Logs.SaveAsync(origin, vkey, newer, "seen earlier", CancellationToken.None);

        var found = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        Assert.False(found.Usable);
        Assert.Contains("rollback", found.LogFailure, StringComparison.Ordinal);
        var (_, held) = await Logs.FindAsync(origin, CancellationToken.None);
        Assert.Equal(50, held!.Size);
        Assert.Null(await new PinStore(ClientDirectory.Combine("pins.db"), TimeProvider.System).FindAsync(Luke, CancellationToken.None));
    }

    [Fact]
    public async Task A_changed_log_key_is_refused()
    {
        var other = new NoteSigner(LogLocation.Origin("jedi.test"), NoteSigner.GeneratePrivateKey());
        await Logs.SaveAsync(LogLocation.Origin("jedi.test"), other.VerifierKey, new TrustedCheckpoint(1, new byte[32]), "", CancellationToken.None);
        var found = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        Assert.False(found.Usable);
        Assert.Contains("log key of jedi.test changed", found.LogFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_newer_checkpoint_is_accepted_with_a_consistency_proof_and_stored()
    {
        var first = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        await new KeyPublisher(Server.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(LukeKey.Certificate.ToBinary(), null, CancellationToken.None);
        await Server.Server.Transparency!.SequenceAsync(CancellationToken.None);
        var second = await Discovery().DiscoverAsync(Luke, CancellationToken.None);
        Assert.True(second.Usable, second.Explanation);
        Assert.True(second.Log!.Checkpoint.Size > first.Log!.Checkpoint.Size);
        Assert.Equal(2, second.Log.Binding!.Version);
        var (_, held) = await Logs.FindAsync(LogLocation.Origin("jedi.test"), CancellationToken.None);
        Assert.Equal(second.Log.Checkpoint.Size, held!.Size);
    }
}
