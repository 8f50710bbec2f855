using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.Directory.Storage;
using Keypost.Testing;
using Keypost.Testing.OpenPgp;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Directory.Tests.Publishing;

public sealed class KeyPublisherTests : IAsyncLifetime, IClassFixture<FloodedCertificate>
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly FloodedCertificate _flooded;
    private readonly TempDirectory _directory = new("keypost-directory");
    private DirectoryStore _store = null!;
    private KeyPublisher _publisher = null!;

    public KeyPublisherTests(FloodedCertificate flooded)
    {
        _flooded = flooded;
    }

    public async Task InitializeAsync()
    {
        var database = await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
        _store = new DirectoryStore(database, TimeProvider.System);
        await _store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        _publisher = new KeyPublisher(_store, new CertificatePolicy(), TimeProvider.System);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Publishes_a_minimised_certificate_per_hosted_address()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "Luke <luke@jedi.test>");
        ring = TestKeys.AddUserId(ring, primary, "Luke <luke@farm.tatooine.test>");
        ring = TestKeys.AddPhoto(ring, primary);

        var published = Assert.Single(await _publisher.PublishAsync(ring.GetEncoded(), null, CancellationToken.None));
        Assert.Equal(Luke, published.Address);

        var served = Certificate.Parse((await _store.FindCurrentAsync(Luke, CancellationToken.None))!.Data);
        Assert.Equal("Luke <luke@jedi.test>", Assert.Single(served.UserIds).Text);
        Assert.Single(served.Subkeys);
    }

    [Fact]
    public async Task A_revocation_signed_by_another_key_is_refused_and_the_directory_is_unchanged()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "Luke <luke@jedi.test>");
        await _publisher.PublishAsync(ring.GetEncoded(), null, CancellationToken.None);
        var before = await _store.HistoryAsync(Luke, CancellationToken.None);

        // Issue #12 bad input: someone else's key signs a revocation of Luke's key, which would stop every sender
        // from encrypting to him. Refused with its reason; no new version, so nothing reaches the log.
        var forged = TestKeys.Revoke(ring, TestKeys.Ed25519());
        var refused = await Assert.ThrowsAsync<OpenPgpException>(() => _publisher.PublishAsync(forged.GetEncoded(), null, CancellationToken.None));
        Assert.Contains("not signed by the key itself", refused.Message, StringComparison.Ordinal);
        var after = await _store.HistoryAsync(Luke, CancellationToken.None);
        Assert.Equal(before.Select(c => c.Id), after.Select(c => c.Id));
        Assert.False(after[^1].Revoked);

        // The same revocation made by Luke's own key is taken.
        await _publisher.PublishAsync(TestKeys.Revoke(ring, primary).GetEncoded(), null, CancellationToken.None);
        Assert.True((await _store.FindCurrentAsync(Luke, CancellationToken.None))!.Revoked);
    }

    [Fact]
    public async Task Flooded_certificate_is_served_without_third_party_certifications()
    {
        await _publisher.PublishAsync(_flooded.Binary, null, CancellationToken.None);
        var served = (await _store.FindCurrentAsync(Luke, CancellationToken.None))!.Data;
        Assert.True(served.Length < 2048, $"served {served.Length} bytes");
        var ring = new PgpPublicKeyRing(served);
        var signatures = ring.GetPublicKey().GetSignatures().Cast<PgpSignature>().ToList();
        Assert.All(signatures, s => Assert.Equal(ring.GetPublicKey().KeyId, s.KeyId));
    }

    [Fact]
    public async Task A_new_key_replaces_the_old_one_and_history_is_kept()
    {
        var first = new KeyGenerator().Generate(new KeyGenerationRequest(Luke));
        var second = new KeyGenerator().Generate(new KeyGenerationRequest(Luke));
        await _publisher.PublishAsync(first.Certificate.ToBinary(), null, CancellationToken.None);
        await _publisher.PublishAsync(second.Certificate.ToBinary(), null, CancellationToken.None);

        var history = await _store.HistoryAsync(Luke, CancellationToken.None);
        Assert.Equal([first.Fingerprint, second.Fingerprint], history.Select(h => h.Fingerprint));
        Assert.Equal([CertificateState.Replaced, CertificateState.Current], history.Select(h => h.State));
        Assert.Single(await _store.FindForWkdAsync("jedi.test", Core.Wkd.WkdHash.Compute(Luke), CancellationToken.None));
    }

    [Fact]
    public async Task A_revocation_of_the_current_key_is_served_but_a_revoked_new_key_is_refused()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "Luke <luke@jedi.test>");
        await _publisher.PublishAsync(ring.GetEncoded(), null, CancellationToken.None);

        var revoked = TestKeys.Revoke(ring, primary);
        var publication = Assert.Single(await _publisher.PublishAsync(revoked.GetEncoded(), null, CancellationToken.None));
        Assert.True(publication.Revoked);
        Assert.True(Certificate.Parse((await _store.FindCurrentAsync(Luke, CancellationToken.None))!.Data).IsRevoked);

        var otherPrimary = TestKeys.Ed25519();
        var other = TestKeys.Revoke(TestKeys.Build(otherPrimary, TestKeys.X25519(), "Luke <luke@jedi.test>"), otherPrimary);
        var e = await Assert.ThrowsAsync<OpenPgpException>(() => _publisher.PublishAsync(other.GetEncoded(), null, CancellationToken.None));
        Assert.Equal(OpenPgpError.Revoked, e.Error);
    }

    // Built inside the test: xunit serialises theory data, and 10 MB of it swamps the test runner.
    private static byte[] BadInput(string name) => name switch
    {
        "not OpenPGP" => "hello, this is not a key"u8.ToArray(),
        "armored garbage" => "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5IGF0IGFsbA==\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"u8.ToArray(),
        "10 MB" => new byte[10 * 1024 * 1024],
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [InlineData("not OpenPGP")]
    [InlineData("armored garbage")]
    [InlineData("10 MB")]
    public async Task Bad_input_gets_a_one_line_error_and_writes_nothing(string name)
    {
        var data = BadInput(name);
        var e = await Assert.ThrowsAsync<OpenPgpException>(() => _publisher.PublishAsync(data, null, CancellationToken.None));
        Assert.False(string.IsNullOrWhiteSpace(e.Message), name);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(await _store.ListCurrentAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task Truncated_weak_expired_and_foreign_keys_are_refused()
    {
        var good = new KeyGenerator().Generate(new KeyGenerationRequest(Luke)).Certificate.ToBinary();
        await Assert.ThrowsAsync<OpenPgpException>(() => _publisher.PublishAsync(good[..(good.Length / 2)], null, CancellationToken.None));

        var rsa = TestKeys.Rsa(1024);
        var weak = await Assert.ThrowsAsync<OpenPgpException>(() => _publisher.PublishAsync(TestKeys.Build(rsa, TestKeys.X25519(), "Luke <luke@jedi.test>").GetEncoded(), null, CancellationToken.None));
        Assert.Contains("RSA-1024", weak.Message, StringComparison.Ordinal);

        var expired = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { CreatedAt = DateTimeOffset.UtcNow.AddDays(-10), Validity = TimeSpan.FromDays(1) });
        var expiredError = await Assert.ThrowsAsync<OpenPgpException>(() => _publisher.PublishAsync(expired.Certificate.ToBinary(), null, CancellationToken.None));
        Assert.Equal(OpenPgpError.Expired, expiredError.Error);

        var foreign = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("vader@empire.test")));
        var foreignError = await Assert.ThrowsAsync<DirectoryException>(() => _publisher.PublishAsync(foreign.Certificate.ToBinary(), null, CancellationToken.None));
        Assert.Contains("no user ID for a domain this server hosts", foreignError.Message, StringComparison.Ordinal);

        var noUid = await Assert.ThrowsAsync<OpenPgpException>(() => _publisher.PublishAsync(good, EmailAddress.Parse("leia@jedi.test"), CancellationToken.None));
        Assert.Equal(OpenPgpError.NoUserIdForAddress, noUid.Error);

        Assert.Empty(await _store.ListCurrentAsync(null, CancellationToken.None));
    }
}
