using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Server.Tls;

/// <summary>
/// The server's TLS key and a stand-in certificate for it. The key is made once and kept across ACME renewals, so
/// a DANE TLSA 3 1 1 record (RFC 7671 §5.1) stays true; the stand-in lets the listeners start before the CA has
/// issued the real certificate.
/// </summary>
public static class TlsKeyFiles
{
    /// <summary>Writes a new P-256 key as PKCS#8 PEM (mode 0600), unless the file exists.</summary>
    public static void EnsureKey(string keyPath)
    {
        if (File.Exists(keyPath))
        {
            return;
        }

        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyPath))!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stream = new FileStream(keyPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>Loads the PEM key written by <see cref="EnsureKey"/> (or an operator's EC key).</summary>
    public static ECDsa LoadKey(string keyPath)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A self-signed certificate for the names, valid one day, over the key in <paramref name="keyPath"/>: clients
    /// will not trust it, which is right until the CA's certificate replaces it.
    /// </summary>
    public static void WriteStandIn(string keyPath, string certificatePath, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        using var key = LoadKey(keyPath);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        WriteAtomically(certificatePath, certificate.ExportCertificatePem() + "\n");
    }

    /// <summary>Replaces a file whole (write aside, then rename) so a reader never sees half a chain.</summary>
    public static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
