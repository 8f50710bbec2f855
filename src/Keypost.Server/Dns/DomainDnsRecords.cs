using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Keypost.Mail.Authentication;
using Keypost.Server.Configuration;
using Keypost.Server.Mail;

namespace Keypost.Server.Dns;

/// <summary>
/// Every DNS record a Keypost domain publishes, in one place for <c>keypost quickstart</c> and
/// <c>keypost check-dns</c>: the mail records of <see cref="DnsRecordsGenerator"/> (MX, SPF, DKIM, DMARC) plus the
/// host's addresses, WKD's openpgpkey host, MTA-STS, TLS-RPT and DANE TLSA.
/// </summary>
public sealed class DomainDnsRecords(KeypostConfig config)
{
    /// <summary>RFC 8461 §3.2: the policy host is always "mta-sts." in front of the domain.</summary>
    public const string MtaStsHostPrefix = "mta-sts.";

    /// <param name="domain">A hosted domain (normalised).</param>
    /// <param name="publicAddresses">The server's public addresses, when known (A and AAAA of the host).</param>
    /// <param name="reportAddress">Where TLS-RPT reports go (RFC 8460 §3: rua=mailto:).</param>
    /// <param name="stsPolicyId">The MTA-STS policy id (RFC 8461 §3.1: 1-32 letters and digits, changed with the policy).</param>
    public async Task<IReadOnlyList<PublishedDnsRecord>> GenerateAsync(
        string domain, IReadOnlyList<IPAddress> publicAddresses, string reportAddress, string stsPolicyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publicAddresses);
        var host = config.Hostname.TrimEnd('.').ToLowerInvariant();
        var records = new List<PublishedDnsRecord>();
        foreach (var address in publicAddresses)
        {
            records.Add(new PublishedDnsRecord(
                host, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "AAAA" : "A", address.ToString(), "the mail host's address"));
        }

        await using (var dkim = await ConfiguredDkimKeys.OpenAsync(config, cancellationToken))
        {
            records.AddRange(await new DnsRecordsGenerator(dkim.Store).GenerateAsync(domain, host, cancellationToken));
        }

        if (host != domain)
        {
            // draft-koch-openpgp-webkey-service §3.1: the advanced method asks openpgpkey.DOMAIN first.
            records.Add(new PublishedDnsRecord("openpgpkey." + domain, "CNAME", host + ".", "WKD (advanced method) is served by the mail host"));
        }

        // The generator (what `keypost dns-records` prints) already lists MTA-STS, TLS-RPT and TLSA when the server's
        // configuration has them; quickstart adds only what it lacks, so no name gets two competing records.
        void AddMissing(PublishedDnsRecord record)
        {
            if (!records.Any(r => string.Equals(r.Name, record.Name, StringComparison.OrdinalIgnoreCase) && r.Type == record.Type))
            {
                records.Add(record);
            }
        }

        // RFC 8461 §3.1 and §3.2: the TXT record announces a policy, which is fetched from https://mta-sts.DOMAIN.
        AddMissing(new PublishedDnsRecord(MtaStsHostPrefix + domain, "CNAME", host + ".", "MTA-STS policy host (the mail host serves the policy)"));
        AddMissing(new PublishedDnsRecord("_mta-sts." + domain, "TXT", $"v=STSv1; id={stsPolicyId}", "MTA-STS: senders must use verified TLS to the MX"));
        // RFC 8460 §3: where senders report TLS failures to this domain. Quickstart knows an address that exists (the
        // account it created), where the generator can only suggest tlsrpt@, so its record replaces the generator's.
        records.RemoveAll(r => r.Type == "TXT" && string.Equals(r.Name, "_smtp._tls." + domain, StringComparison.OrdinalIgnoreCase));
        records.Add(new PublishedDnsRecord("_smtp._tls." + domain, "TXT", $"v=TLSRPTv1; rua=mailto:{reportAddress}", "TLS-RPT: where senders report TLS failures"));
        if (Tlsa() is { } tlsa)
        {
            // RFC 7672 §3.1.1 and RFC 7671 §5.1: DANE-EE(3) SPKI(1) SHA2-256(1) survives certificate renewals
            // that keep the key (Keypost's ACME client does).
            AddMissing(new PublishedDnsRecord($"_25._tcp.{host}", "TLSA", tlsa, "DANE: the SMTP server's key (only with DNSSEC)"));
        }

        return records;
    }

    /// <summary>"3 1 1 HEX" for the mail TLS key, or null when no key file exists yet.</summary>
    public string? Tlsa()
    {
        var keyFile = config.MailKeyFile;
        if (keyFile is null || !File.Exists(keyFile))
        {
            return null;
        }

        return "3 1 1 " + Convert.ToHexStringLower(SHA256.HashData(SubjectPublicKeyInfo(File.ReadAllText(keyFile))));
    }

    /// <summary>A new MTA-STS policy id: the time, which only grows (RFC 8461 §3.1).</summary>
    public static string NewPolicyId(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    // The key file is PKCS#8 PEM, EC (what Keypost writes) or RSA (an operator's own certificate).
    private static byte[] SubjectPublicKeyInfo(string pem)
    {
        try
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec.ExportSubjectPublicKeyInfo();
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa.ExportSubjectPublicKeyInfo();
        }
    }
}
