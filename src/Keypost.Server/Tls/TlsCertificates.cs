using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Keypost.Server.Configuration;

namespace Keypost.Server.Tls;

/// <summary>In charge of the server's TLS certificates: loading key files and reloading them when they change.</summary>
public static class TlsCertificates
{
    /// <summary>Loads a PEM certificate chain and key; a problem is a one-line configuration error.</summary>
    public static X509Certificate2 Load(string certificateFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot load the TLS certificate {certificateFile}: {e.Message}");
        }
    }
}
