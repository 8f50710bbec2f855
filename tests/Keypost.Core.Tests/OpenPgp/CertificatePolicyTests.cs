using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Org.BouncyCastle.Bcpg;
using Keypost.Testing.OpenPgp;

namespace Keypost.Core.Tests.OpenPgp;

public sealed class CertificatePolicyTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly CertificatePolicy Policy = new();

    private static IReadOnlyList<CertificateProblem> Problems(Certificate certificate) =>
        Policy.Validate(certificate, Luke, DateTimeOffset.UtcNow);

    [Fact]
    public void A_keypost_key_passes()
    {
        var certificate = new KeyGenerator().Generate(new KeyGenerationRequest(Luke)).Certificate;

        Assert.Empty(Problems(certificate));
        Policy.EnsureAcceptable(certificate, Luke, DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Rsa_1024_is_too_weak()
    {
        var certificate = TestKeys.Parse(TestKeys.Build(TestKeys.Rsa(1024), TestKeys.X25519(), "luke@jedi.test"));

        var problem = Assert.Single(Problems(certificate));

        Assert.Equal(OpenPgpError.WeakMaterial, problem.Error);
        Assert.Equal("RSA-1024 is too weak: at least 2048 bits (the primary key)", problem.Message);
        var thrown = Assert.Throws<OpenPgpException>(() => Policy.EnsureAcceptable(certificate, Luke, DateTimeOffset.UtcNow));
        Assert.Equal(OpenPgpError.WeakMaterial, thrown.Error);
        Assert.Contains("RSA-1024 is too weak", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rsa_at_the_configured_minimum_passes()
    {
        // RSA-2048 generation is slow in BouncyCastle; the threshold is what matters (gpg's rsa3072 is tested in Interop).
        var certificate = TestKeys.Parse(TestKeys.Build(TestKeys.Rsa(1024), TestKeys.X25519(), "Luke <luke@jedi.test>"));

        Assert.Equal("rsa1024", certificate.PrimaryAlgorithmName);
        Assert.Equal(1024, certificate.PrimaryBitStrength);
        Assert.Empty(new CertificatePolicy { MinimumRsaBits = 1024 }.Validate(certificate, Luke, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Dsa_is_refused()
    {
        var certificate = TestKeys.Parse(TestKeys.Build(TestKeys.Dsa(), TestKeys.X25519(), "luke@jedi.test"));

        var problem = Assert.Single(Problems(certificate));

        Assert.Equal(OpenPgpError.WeakMaterial, problem.Error);
        Assert.Contains("DSA", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HashAlgorithmTag.Sha1, "SHA-1")]
    [InlineData(HashAlgorithmTag.RipeMD160, "RIPEMD-160")]
    public void Weak_hash_self_signatures_are_refused(HashAlgorithmTag hash, string name)
    {
        var certificate = TestKeys.Parse(TestKeys.Build(TestKeys.Ed25519(), TestKeys.X25519(), "luke@jedi.test", hash));

        var problems = Problems(certificate);

        Assert.Equal(name, certificate.UserIds[0].SelfSignatureHash);
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.Equal(OpenPgpError.WeakMaterial, p.Error));
        Assert.Contains(problems, p => p.Message.Contains($"{name} is too weak for the self-signature on the user ID 'luke@jedi.test'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Message.Contains("binding signature", StringComparison.Ordinal));
    }

    [Fact]
    public void A_revoked_primary_is_refused()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Revoke(TestKeys.Build(primary, TestKeys.X25519(), "luke@jedi.test"), primary);
        var certificate = TestKeys.Parse(ring);

        Assert.True(certificate.IsRevoked);
        Assert.Equal(OpenPgpError.Revoked, Assert.Single(Problems(certificate)).Error);
    }

    [Fact]
    public void A_revocation_by_someone_else_does_not_count()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "luke@jedi.test");
        var forged = TestKeys.Revoke(ring, TestKeys.Ed25519());

        Assert.False(TestKeys.Parse(forged).IsRevoked);
    }

    [Fact]
    public void An_expired_primary_is_refused()
    {
        var key = new KeyGenerator().Generate(new KeyGenerationRequest(Luke)
        {
            CreatedAt = DateTimeOffset.UtcNow.AddYears(-3),
            Validity = TimeSpan.FromDays(365),
        });

        var problems = Problems(key.Certificate);

        Assert.True(key.Certificate.IsExpired(DateTimeOffset.UtcNow));
        Assert.Contains(problems, p => p.Error == OpenPgpError.Expired && p.Message.Contains("expired on", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Error == OpenPgpError.NoEncryptionKey);
    }

    [Fact]
    public void A_key_without_the_address_is_refused()
    {
        var certificate = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test"))).Certificate;

        var problem = Assert.Single(Problems(certificate));

        Assert.Equal(OpenPgpError.NoUserIdForAddress, problem.Error);
        Assert.Equal("the key has no valid user ID for luke@jedi.test", problem.Message);
    }

    [Fact]
    public void A_user_id_with_a_forged_self_signature_is_not_valid()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "leia@rebel.test");

        // Certified by another key that claims nothing: not a self-signature, so the user ID is unbound.
        var forged = TestKeys.AddUserId(ring, TestKeys.Ed25519(), "luke@jedi.test");
        var certificate = TestKeys.Parse(forged);

        Assert.False(certificate.UserIds.Single(u => u.Text == "luke@jedi.test").IsValid);
        Assert.False(certificate.HasUserIdFor(Luke));
    }

    [Fact]
    public void A_key_without_encryption_subkey_is_refused()
    {
        var certificate = TestKeys.Parse(TestKeys.Build(TestKeys.Ed25519(), null, "luke@jedi.test"));

        Assert.Equal(OpenPgpError.NoEncryptionKey, Assert.Single(Problems(certificate)).Error);
        Assert.Empty(new CertificatePolicy { RequireEncryptionSubkey = false }.Validate(certificate, Luke, DateTimeOffset.UtcNow));
    }
}
