using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Keypost.Mail.Authentication;

namespace Keypost.Server.Dns;

/// <summary>
/// In charge of the DNS records a domain must publish, and checking that it does.
/// Asks DNS for each record <see cref="DomainDnsRecords"/> says to publish and judges the answer by what the
/// record is for, not by its spelling: a CNAME may be published as A records, a TXT record's tags may be spaced
/// differently, an MTA-STS id may be any id, a TLS-RPT report address any address.
/// </summary>
public sealed class DnsRecordChecker
{
    private readonly LookupClient _client;

    /// <param name="nameServers">Resolvers to ask; empty: the system's.</param>
    public DnsRecordChecker(IReadOnlyList<IPEndPoint> nameServers)
    {
        ArgumentNullException.ThrowIfNull(nameServers);
        var options = nameServers.Count > 0 ? new LookupClientOptions(nameServers.Select(e => new NameServer(e)).ToArray()) : new LookupClientOptions();
        options.UseCache = false;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = true;
        options.UseTcpFallback = true;
        options.Timeout = TimeSpan.FromSeconds(5);
        _client = new LookupClient(options);
    }

    public async Task<IReadOnlyList<DnsCheckResult>> CheckAsync(IEnumerable<PublishedDnsRecord> expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var results = new List<DnsCheckResult>();
        foreach (var record in expected)
        {
            results.Add(await CheckAsync(record, cancellationToken));
        }

        return results;
    }

    private async Task<DnsCheckResult> CheckAsync(PublishedDnsRecord record, CancellationToken cancellationToken)
    {
        switch (record.Type)
        {
            case "MX":
            {
                var (failed, answers) = await AskAsync(record.Name, QueryType.MX, cancellationToken);
                var hosts = answers.MxRecords().Select(mx => mx.Exchange.Value.TrimEnd('.').ToLowerInvariant()).ToList();
                var wanted = record.Value.Split(' ')[^1].TrimEnd('.').ToLowerInvariant();
                return Judge(record, failed, hosts, hosts.Contains(wanted));
            }

            case "A" or "AAAA":
            {
                var (failed, answers) = await AskAsync(record.Name, record.Type == "A" ? QueryType.A : QueryType.AAAA, cancellationToken);
                var addresses = answers.AddressRecords().Select(a => a.Address.ToString()).ToList();
                return Judge(record, failed, addresses, addresses.Contains(IPAddress.Parse(record.Value).ToString()));
            }

            case "CNAME":
            {
                // What matters is that the name reaches the same host: a resolver follows the CNAME, and an
                // operator may publish the addresses directly instead.
                var target = record.Value.TrimEnd('.');
                var (failed, answers) = await AddressesAsync(record.Name, cancellationToken);
                var (targetFailed, targetAnswers) = await AddressesAsync(target, cancellationToken);
                var found = answers.Order(StringComparer.Ordinal).ToList();
                var ok = found.Count > 0 && targetAnswers.Count > 0 && found.Intersect(targetAnswers).Any();
                return Judge(record, failed || targetFailed, found, ok);
            }

            case "TLSA":
            {
                var (failed, answers) = await AskAsync(record.Name, QueryType.TLSA, cancellationToken);
                var found = answers.OfType<TlsaRecord>()
                    .Select(t => $"{(int)t.CertificateUsage} {(int)t.Selector} {(int)t.MatchingType} {t.CertificateAssociationDataAsString.ToLowerInvariant()}")
                    .ToList();
                return Judge(record, failed, found, found.Contains(record.Value.ToLowerInvariant()));
            }

            case "TXT":
            {
                var (failed, answers) = await AskAsync(record.Name, QueryType.TXT, cancellationToken);
                var texts = answers.TxtRecords().Select(t => string.Concat(t.Text)).ToList();
                var version = Tags(record.Value).FirstOrDefault().Value ?? "";
                // RFC 7208 §4.5, RFC 7489 §6.6.3, RFC 8461 §3.1, RFC 8460 §3: the record is the one TXT record
                // whose first tag is the version; other TXT records at the name are someone else's.
                var candidates = texts.Where(t => string.Equals(Tags(t).FirstOrDefault().Value, version, StringComparison.OrdinalIgnoreCase)).ToList();
                return Judge(record, failed, texts, candidates.Count == 1 && Matches(record.Value, candidates[0]));
            }

            default:
                throw new ArgumentException($"cannot check a {record.Type} record", nameof(record));
        }
    }

    private static bool Matches(string expected, string found)
    {
        var wanted = Tags(expected);
        var got = Tags(found).GroupBy(t => t.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.OrdinalIgnoreCase);
        if (wanted.Count > 0 && wanted[0].Value.StartsWith("spf1", StringComparison.OrdinalIgnoreCase))
        {
            // SPF is not tag=value: compare the terms, spacing aside.
            return string.Equals(Normalize(expected), Normalize(found), StringComparison.OrdinalIgnoreCase);
        }

        foreach (var (key, value) in wanted)
        {
            if (!got.TryGetValue(key, out var present))
            {
                return false;
            }

            // The policy id and the report address are the operator's to choose.
            if (key is "id" or "rua")
            {
                continue;
            }

            if (!string.Equals(value.Replace(" ", "", StringComparison.Ordinal), present.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string Normalize(string text) => string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static List<KeyValuePair<string, string>> Tags(string text)
    {
        var tags = new List<KeyValuePair<string, string>>();
        if (text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase))
        {
            tags.Add(new("v", "spf1"));
            return tags;
        }

        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                tags.Add(new(part[..equals].Trim(), part[(equals + 1)..].Trim()));
            }
        }

        return tags;
    }

    private static DnsCheckResult Judge(PublishedDnsRecord record, bool failed, IReadOnlyCollection<string> found, bool ok)
    {
        var text = found.Count == 0 ? "(nothing)" : string.Join(" | ", found);
        if (ok)
        {
            return new DnsCheckResult(record, DnsCheckStatus.Ok, text);
        }

        if (failed)
        {
            return new DnsCheckResult(record, DnsCheckStatus.Unknown, "(the resolver failed; try again)");
        }

        return new DnsCheckResult(record, found.Count == 0 ? DnsCheckStatus.Missing : DnsCheckStatus.Different, text);
    }

    private async Task<(bool Failed, IReadOnlyList<DnsResourceRecord> Answers)> AskAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        var response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken);
        var failed = response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain;
        return (failed, response.Answers);
    }

    private async Task<(bool Failed, List<string> Addresses)> AddressesAsync(string name, CancellationToken cancellationToken)
    {
        var (failedV4, v4) = await AskAsync(name, QueryType.A, cancellationToken);
        var (failedV6, v6) = await AskAsync(name, QueryType.AAAA, cancellationToken);
        return (failedV4 && failedV6, v4.Concat(v6).AddressRecords().Select(a => a.Address.ToString()).ToList());
    }
}
