using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Testing.Mail;

/// <summary>A throw-away root CA that issues server certificates: the "Web PKI" of MTA-STS and the trust anchor of DANE-TA tests.</summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificateAuthority(string name = "Keypost Test Root")
    {
        Certificate = Request(name, key).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private TestCertificateAuthority(string name, TestCertificateAuthority issuer)
    {
        var request = Request(name, key);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        using var issued = request.Create(issuer.Certificate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), RandomNumberGenerator.GetBytes(8));
        Certificate = issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// An intermediate CA under this one. Servers send intermediates but not the root (.NET's SslStream leaves the
    /// root out), so a DANE-TA(2) record names an intermediate, as RFC 7671 §5.2.2 allows.
    /// </summary>
    public TestCertificateAuthority Intermediate(string name) => new(name, this);

    /// <summary>The root (public part only matters to clients).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>A server certificate for <paramref name="hostNames"/>, with its private key, signed by this CA.</summary>
    public X509Certificate2 Issue(params string[] hostNames)
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + hostNames[0], leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in hostNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Certificate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        using var withKey = issued.CopyWithPrivateKey(leafKey);
        // Round-trip through PKCS#12 so SslStream on Linux can use the private key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static CertificateRequest Request(string name, ECDsa key)
    {
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    public void Dispose()
    {
        Certificate.Dispose();
        key.Dispose();
    }
}
