using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Testing.OpenPgp;

namespace Keypost.Core.Tests.OpenPgp;

public sealed class FloodedCertificateTests(FloodedCertificate flood) : IClassFixture<FloodedCertificate>
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [Fact]
    public void The_default_size_cap_refuses_the_flood()
    {
        Assert.True(flood.Binary.Length > Certificate.DefaultMaxBytes);

        var exception = Assert.Throws<OpenPgpException>(() => Certificate.Parse(flood.Binary));

        Assert.Equal(OpenPgpError.TooLarge, exception.Error);
    }

    [Fact]
    public void Minimising_drops_every_third_party_certification()
    {
        var certificate = Certificate.Parse(flood.Binary, maxBytes: 8 * 1024 * 1024);
        var primary = certificate.ToBouncyCastle().GetPublicKey();
        Assert.Equal(FloodedCertificate.Certifications + 1, primary.GetSignaturesForId("Luke <luke@jedi.test>").Count());

        var minimal = CertificateMinimizer.Minimize(certificate, Luke);

        var signatures = minimal.ToBouncyCastle().GetPublicKey().GetSignaturesForId("Luke <luke@jedi.test>").ToList();
        var self = Assert.Single(signatures);
        Assert.Equal(primary.KeyId, self.KeyId);
        Assert.DoesNotContain(minimal.ToBouncyCastle().GetPublicKey().GetSignatures(), s => flood.Signers.Any(k => k.KeyId == s.KeyId));
        Assert.Equal(certificate.Fingerprint, minimal.Fingerprint);
        Assert.True(minimal.ToBinary().Length < 1024, $"{minimal.ToBinary().Length} bytes");
        Assert.Empty(new CertificatePolicy().Validate(minimal, Luke, DateTimeOffset.UtcNow));
    }
}
