using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Keypost.Testing.OpenPgp;

namespace Keypost.Core.Tests.OpenPgp;

public sealed class CertificateMinimizerTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [Fact]
    public void Keeps_only_the_user_id_for_the_address_and_drops_photos()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "Luke <luke@jedi.test>");
        ring = TestKeys.AddUserId(ring, primary, "other@elsewhere.test");
        ring = TestKeys.AddPhoto(ring, primary);
        var certificate = TestKeys.Parse(ring);
        Assert.Equal(2, certificate.UserIds.Count);

        var minimal = CertificateMinimizer.Minimize(certificate, Luke);

        Assert.Equal(certificate.Fingerprint, minimal.Fingerprint);
        Assert.Equal("Luke <luke@jedi.test>", Assert.Single(minimal.UserIds).Text);
        Assert.Empty(minimal.ToBouncyCastle().GetPublicKey().GetUserAttributes());
        Assert.Single(minimal.EncryptionSubkeys(DateTimeOffset.UtcNow));
        Assert.Empty(new CertificatePolicy().Validate(minimal, Luke, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Keeps_the_newest_self_signature_and_key_revocations()
    {
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "luke@jedi.test");
        ring = TestKeys.Revoke(ring, primary);

        var minimal = CertificateMinimizer.Minimize(TestKeys.Parse(ring), Luke);

        Assert.True(minimal.IsRevoked);
        var key = minimal.ToBouncyCastle().GetPublicKey();
        Assert.Single(key.GetSignaturesForId("luke@jedi.test"));
        Assert.Single(key.GetSignaturesOfType(PgpSignature.KeyRevocation));
    }

    [Fact]
    public void Refuses_when_no_user_id_carries_the_address()
    {
        var certificate = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test"))).Certificate;

        var exception = Assert.Throws<OpenPgpException>(() => CertificateMinimizer.Minimize(certificate, Luke));

        Assert.Equal(OpenPgpError.NoUserIdForAddress, exception.Error);
    }
}
