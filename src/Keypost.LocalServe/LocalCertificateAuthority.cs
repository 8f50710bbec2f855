using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.LocalServe;

/// <summary>
/// A private certificate authority for trying Keypost on one machine (the demo, quickstart and tests):
/// it issues server certificates for the .test names so real TLS clients can verify them once the CA is
/// trusted. Never a substitute for a public CA or ACME in a deployment.
/// </summary>
public sealed class LocalCertificateAuthority : IDisposable
{
    private LocalCertificateAuthority(X509Certificate2 certificate)
    {
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    public static LocalCertificateAuthority Create(string name = "Keypost local CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new LocalCertificateAuthority(request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2)));
    }

    /// <summary>A server certificate (with private key) valid for the given DNS names and IP addresses.</summary>
    public X509Certificate2 Issue(IEnumerable<string> dnsNames, IEnumerable<IPAddress>? addresses = null)
    {
        var names = dnsNames.ToList();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        names.ForEach(san.AddDnsName);
        foreach (var address in addresses ?? [])
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Certificate, now.AddDays(-1), now.AddDays(397), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the CA certificate as PEM (what a client adds to its trust store).</summary>
    public void WriteCertificatePem(string path) => File.WriteAllText(path, Certificate.ExportCertificatePem() + "\n");

    /// <summary>Writes a server certificate (followed by this CA) and its private key as PEM files.</summary>
    public void WriteServerPem(X509Certificate2 server, string certificatePath, string keyPath)
    {
        File.WriteAllText(certificatePath, server.ExportCertificatePem() + "\n" + Certificate.ExportCertificatePem() + "\n");
        using var key = server.GetECDsaPrivateKey() ?? throw new InvalidOperationException("server certificate has no EC key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose() => Certificate.Dispose();
}
