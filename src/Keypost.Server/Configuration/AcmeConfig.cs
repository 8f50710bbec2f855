using System.Text.Json.Serialization;

namespace Keypost.Server.Configuration;

/// <summary>
/// Certificates from an ACME CA (RFC 8555, e.g. Let's Encrypt) instead of files the operator renews. The
/// certificate is written to <c>http.certificateFile</c>/<c>http.keyFile</c> (which SMTP and IMAP also use unless
/// <c>mail.certificateFile</c> is set), renewed before expiry and swapped into every listener without a restart.
/// </summary>
public sealed class AcmeConfig
{
    /// <summary>The CA's directory URL (Let's Encrypt: https://acme-v02.api.letsencrypt.org/directory); unset: no ACME.</summary>
    public string? DirectoryUrl { get; set; }

    /// <summary>A contact address for the ACME account (expiry warnings); optional.</summary>
    public string? Email { get; set; }

    /// <summary>
    /// The operator agrees to the CA's terms of service (RFC 8555 §7.3: termsOfServiceAgreed); required by
    /// Let's Encrypt.
    /// </summary>
    public bool AcceptTermsOfService { get; set; }

    /// <summary>
    /// The names the certificate covers; empty: the hostname, and for each domain DOMAIN, openpgpkey.DOMAIN and
    /// mta-sts.DOMAIN.
    /// </summary>
    public List<string> Names { get; set; } = [];

    /// <summary>
    /// Plain-HTTP listeners answering http-01 challenges (RFC 8555 §8.3: the CA connects to port 80); nothing
    /// else is served on them.
    /// </summary>
    public List<string> ChallengeListen { get; set; } = [];

    /// <summary>Renew when fewer days than this remain (Let's Encrypt advises a third of the lifetime: 30 of 90).</summary>
    public int RenewDaysBeforeExpiry { get; set; } = 30;

    /// <summary>How often to look at the certificate's expiry, in seconds.</summary>
    public int CheckIntervalSeconds { get; set; } = 12 * 3600;

    /// <summary>A PEM CA to trust for the ACME server's own HTTPS instead of the system store (a test CA such as pebble's).</summary>
    public string? DirectoryCaFile { get; set; }

    [JsonIgnore]
    public bool Enabled => DirectoryUrl is not null;
}
