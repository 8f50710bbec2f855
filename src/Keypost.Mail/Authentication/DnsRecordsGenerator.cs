using System.Security.Cryptography.X509Certificates;
using Keypost.Mail.Dane;
using Keypost.Mail.Dkim;
using Keypost.Mail.MtaSts;

namespace Keypost.Mail.Authentication;

/// <summary>
/// The DNS records a Keypost domain should publish for mail (used by <c>keypost dns-records DOMAIN</c>).
/// <list type="bullet">
/// <item>MX → the Keypost host.</item>
/// <item>SPF <c>v=spf1 mx -all</c>: Keypost delivers from the host its MX names, and nothing else sends for the domain.</item>
/// <item>DKIM TXT for the Ed25519 and RSA selectors (creating the keys if missing).</item>
/// <item>DMARC <c>v=DMARC1; p=reject; adkim=s; aspf=s</c>: every message is DKIM-signed with d= exactly the
/// domain and MAIL FROM is in the domain, so strict alignment holds for Keypost mail, and reject tells
/// receivers to drop forgeries. No rua=: Keypost does not process aggregate reports (add one if you do).</item>
/// <item>MTA-STS (RFC 8461): the <c>_mta-sts</c> TXT with the id of the policy <c>keypost serve</c> serves at
/// <c>mta-sts.&lt;domain&gt;</c>, and that name pointed at the Keypost host.</item>
/// <item>TLS-RPT (RFC 8460): where senders mail their daily TLS reports.</item>
/// <item>TLSA (RFC 7672) for the MX host: DANE-EE SPKI SHA2-256 of the mail certificate, for a DNSSEC-signed zone.</item>
/// </list>
/// </summary>
public sealed class DnsRecordsGenerator(DkimKeyStore keys)
{
    public const string SpfRecord = "v=spf1 mx -all";
    public const string DmarcRecord = "v=DMARC1; p=reject; adkim=s; aspf=s";

    /// <param name="domain">The mail domain, e.g. rebel.test.</param>
    /// <param name="mailHost">The Keypost server's host name, e.g. mail.rebel.test.</param>
    /// <param name="mtaSts">Our MTA-STS policy for the domain; null publishes none.</param>
    /// <param name="mailCertificate">The SMTP server's certificate, for the TLSA record; null publishes none.</param>
    /// <param name="smtpPort">The port senders connect to (the TLSA name is <c>_port._tcp.host</c>, RFC 6698 §3).</param>
    public async Task<IReadOnlyList<PublishedDnsRecord>> GenerateAsync(
        string domain, string mailHost, CancellationToken cancellationToken, MtaStsPublication? mtaSts = null, X509Certificate2? mailCertificate = null, int smtpPort = 25)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        mailHost = mailHost.TrimEnd('.').ToLowerInvariant();
        var domainKeys = await keys.GetOrCreateAsync(domain, cancellationToken);
        var records = new List<PublishedDnsRecord>
        {
            new PublishedDnsRecord(domain, "MX", $"10 {mailHost}.", "mail for the domain goes to Keypost"),
            new PublishedDnsRecord(domain, "TXT", SpfRecord, "SPF: only the MX host sends mail for the domain"),
            new PublishedDnsRecord(domainKeys.Ed25519.DnsName, "TXT", domainKeys.Ed25519.TxtRecord, "DKIM ed25519-sha256 key (RFC 8463)"),
            new PublishedDnsRecord(domainKeys.Rsa.DnsName, "TXT", domainKeys.Rsa.TxtRecord, "DKIM rsa-sha256 key"),
            new PublishedDnsRecord("_dmarc." + domain, "TXT", DmarcRecord, "DMARC: reject unaligned mail"),
            // RFC 8460 §3: reports by mail to the domain's postmaster-like address (an https: rua also works).
            new PublishedDnsRecord("_smtp._tls." + domain, "TXT", $"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}", "TLS-RPT: where senders mail daily TLS reports (make tlsrpt@ an account or alias)"),
        };
        if (mtaSts is not null)
        {
            records.Add(new PublishedDnsRecord("mta-sts." + domain, "CNAME", mailHost + ".", $"MTA-STS policy host: Keypost serves {MtaStsPublication.WellKnownPath} here (the HTTPS certificate must name mta-sts.{domain})"));
            records.Add(new PublishedDnsRecord("_mta-sts." + domain, "TXT", mtaSts.TxtRecord, $"MTA-STS (RFC 8461): policy mode {mtaSts.Mode}; the id changes with the policy"));
        }

        if (mailCertificate is not null)
        {
            records.Add(new PublishedDnsRecord(
                $"_{smtpPort}._tcp.{mailHost}", "TLSA", TlsaAssociation.EndEntitySpkiSha256(mailCertificate).ToPresentation(),
                "DANE (RFC 7672) DANE-EE(3) SPKI(1) SHA2-256(1) of the mail certificate's key: only in a DNSSEC-signed zone; publish the next key's record before changing keys"));
        }

        return records;
    }
}
