using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Tls;

/// <summary>
/// A PEM certificate and key that every TLS listener (HTTPS, SMTP, IMAP) asks for at each handshake, so a renewed
/// certificate (by Keypost's ACME client, or written by another tool) is served without a restart. Connections
/// already established keep the certificate they shook hands with.
/// </summary>
public sealed class ReloadableCertificate(string certificateFile, string keyFile, ILogger logger)
{
    private readonly Lock _gate = new();
    private X509Certificate2 _current = TlsCertificates.Load(certificateFile, keyFile);
    private DateTime _loadedStamp = Stamp(certificateFile, keyFile);

    public string CertificateFile { get; } = certificateFile;

    public string KeyFile { get; } = keyFile;

    public X509Certificate2 Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads the files again if they changed since the last load; a pair that does not load (half written, key
    /// and certificate not matching) is logged and the current certificate kept.
    /// </summary>
    public bool ReloadIfChanged(bool force = false)
    {
        lock (_gate)
        {
            var stamp = Stamp(CertificateFile, KeyFile);
            if (stamp == _loadedStamp && !force)
            {
                return false;
            }

            try
            {
                var loaded = TlsCertificates.Load(CertificateFile, KeyFile);
                // The previous certificate is left to the collector: a handshake may be using it right now.
                Volatile.Write(ref _current, loaded);
                _loadedStamp = stamp;
                logger.LogInformation("TLS certificate reloaded from {File}: {Subject}, serial {Serial}, valid until {NotAfter:u}",
                    CertificateFile, loaded.Subject, loaded.SerialNumber, loaded.NotAfter.ToUniversalTime());
                return true;
            }
            catch (Configuration.ConfigException e)
            {
                logger.LogError(e, "TLS certificate in {File} changed but does not load; still serving the previous one", CertificateFile);
                return false;
            }
        }
    }

    private static DateTime Stamp(string certificateFile, string keyFile)
    {
        var certificate = File.GetLastWriteTimeUtc(certificateFile);
        var key = File.GetLastWriteTimeUtc(keyFile);
        return certificate > key ? certificate : key;
    }
}
