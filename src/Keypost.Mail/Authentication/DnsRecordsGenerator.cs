using Keypost.Mail.Dkim;

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
/// </list>
/// </summary>
public sealed class DnsRecordsGenerator(DkimKeyStore keys)
{
    public const string SpfRecord = "v=spf1 mx -all";
    public const string DmarcRecord = "v=DMARC1; p=reject; adkim=s; aspf=s";

    /// <param name="domain">The mail domain, e.g. rebel.test.</param>
    /// <param name="mailHost">The Keypost server's host name, e.g. mail.rebel.test.</param>
    public async Task<IReadOnlyList<PublishedDnsRecord>> GenerateAsync(string domain, string mailHost, CancellationToken cancellationToken)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        var domainKeys = await keys.GetOrCreateAsync(domain, cancellationToken);
        return
        [
            new PublishedDnsRecord(domain, "MX", $"10 {mailHost.TrimEnd('.')}.", "mail for the domain goes to Keypost"),
            new PublishedDnsRecord(domain, "TXT", SpfRecord, "SPF: only the MX host sends mail for the domain"),
            new PublishedDnsRecord(domainKeys.Ed25519.DnsName, "TXT", domainKeys.Ed25519.TxtRecord, "DKIM ed25519-sha256 key (RFC 8463)"),
            new PublishedDnsRecord(domainKeys.Rsa.DnsName, "TXT", domainKeys.Rsa.TxtRecord, "DKIM rsa-sha256 key"),
            new PublishedDnsRecord("_dmarc." + domain, "TXT", DmarcRecord, "DMARC: reject unaligned mail"),
        ];
    }
}
