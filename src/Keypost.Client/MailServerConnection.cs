using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Client;

/// <summary>
/// In charge of what a user's software knows of its own mail server: where to submit and fetch, as whom, trusting which CA. Where the user's own mail server is and how to log in to it.
/// </summary>
public sealed record MailServerConnection(string Host, int SubmissionPort, int ImapPort, string UserName, string Password, X509Certificate2? TrustedCa = null)
{
    /// <summary>Validates the server's certificate against the system store, or only against <see cref="TrustedCa"/> when given.</summary>
    public bool ValidateCertificate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (TrustedCa is null)
        {
            return errors == SslPolicyErrors.None;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(TrustedCa);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
