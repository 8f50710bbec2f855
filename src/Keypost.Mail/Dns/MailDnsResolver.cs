using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace Keypost.Mail.Dns;

/// <summary>
/// In charge of the DNS questions mail asks: MX, A/AAAA, TXT and TLSA, with their DNSSEC status. <see cref="IMailDnsResolver"/> over DnsClient's <see cref="LookupClient"/>.
/// </summary>
public sealed class MailDnsResolver : IMailDnsResolver
{
    private readonly LookupClient client;
    private readonly bool trustAuthenticatedData;

    public MailDnsResolver(MailDnsResolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lookupOptions = options.NameServers.Count > 0
            ? new LookupClientOptions(options.NameServers.Select(e => new NameServer(e)).ToArray())
            : new LookupClientOptions();
        lookupOptions.Timeout = options.Timeout;
        lookupOptions.Retries = options.Retries;
        lookupOptions.UseCache = options.UseCache;
        // Errors are answers here: NXDOMAIN and SERVFAIL must reach the caller as statuses, not exceptions.
        lookupOptions.ThrowDnsErrors = false;
        lookupOptions.ContinueOnDnsError = true;
        lookupOptions.UseTcpFallback = true;
        // RFC 6840 §5.7: a validating resolver sets AD only when the query asks for DNSSEC (DO or AD set).
        lookupOptions.RequestDnsSecRecords = options.TrustAuthenticatedData;
        trustAuthenticatedData = options.TrustAuthenticatedData;
        client = new LookupClient(lookupOptions);
    }

    public async Task<DnsResult<MxHost>> GetMxAsync(string domain, CancellationToken cancellationToken)
    {
        var response = await QueryAsync(domain, QueryType.MX, cancellationToken).ConfigureAwait(false);
        return Map(response, r => r.Answers.MxRecords()
            .Select(mx => new MxHost(mx.Preference, HostName(mx.Exchange.Value)))
            // RFC 5321 §5.1: lower preference first. Equal preferences are shuffled by the caller.
            .OrderBy(mx => mx.Preference)
            .ToList());
    }

    public async Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var v4 = await GetAddressesAsync(host, AddressFamily.InterNetwork, cancellationToken).ConfigureAwait(false);
        if (v4.Status is DnsStatus.NxDomain or DnsStatus.TemporaryFailure)
        {
            return v4;
        }

        var v6 = await GetAddressesAsync(host, AddressFamily.InterNetworkV6, cancellationToken).ConfigureAwait(false);
        var all = v4.Records.Concat(v6.Records).ToList();
        if (all.Count > 0)
        {
            return new DnsResult<IPAddress>(DnsStatus.Ok, all) { Authenticated = v4.Authenticated && v6.Authenticated };
        }

        return v6.Status == DnsStatus.TemporaryFailure ? v6 : v4;
    }

    public async Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        switch (family)
        {
            case AddressFamily.InterNetwork:
                var a = await QueryAsync(host, QueryType.A, cancellationToken).ConfigureAwait(false);
                return Map(a, r => r.Answers.ARecords().Select(x => x.Address).ToList());
            case AddressFamily.InterNetworkV6:
                var aaaa = await QueryAsync(host, QueryType.AAAA, cancellationToken).ConfigureAwait(false);
                return Map(aaaa, r => r.Answers.AaaaRecords().Select(x => x.Address).ToList());
            default:
                throw new ArgumentOutOfRangeException(nameof(family), family, "only IPv4 and IPv6 have address records");
        }
    }

    public async Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken)
    {
        var response = await QueryAsync(name, QueryType.TXT, cancellationToken).ConfigureAwait(false);
        return Map(response, r => r.Answers.TxtRecords().Select(t => string.Concat(t.Text)).ToList());
    }

    public async Task<DnsResult<Keypost.Mail.Dane.TlsaAssociation>> GetTlsaAsync(string name, CancellationToken cancellationToken)
    {
        var response = await QueryAsync(name, QueryType.TLSA, cancellationToken).ConfigureAwait(false);
        return Map(response, r => r.Answers.OfType<TlsaRecord>()
            .Select(t => new Keypost.Mail.Dane.TlsaAssociation((byte)t.CertificateUsage, (byte)t.Selector, (byte)t.MatchingType, t.CertificateAssociationData.ToArray()))
            .ToList());
    }

    private async Task<(IDnsQueryResponse? Response, string? Error)> QueryAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            return (response, null);
        }
        catch (DnsResponseException e)
        {
            // Timeouts and transport errors: RFC 5321 §5.1 treats them as temporary.
            return (null, $"{type} {name}: {e.Message}");
        }
    }

    private DnsResult<T> Map<T>((IDnsQueryResponse? Response, string? Error) query, Func<IDnsQueryResponse, IReadOnlyList<T>> select)
    {
        var response = query.Response;
        if (response is null)
        {
            return DnsResult<T>.Failed(DnsStatus.TemporaryFailure, query.Error ?? "no response");
        }

        var question = response.Questions.Count > 0 ? response.Questions[0].ToString() : "query";
        switch (response.Header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                var records = select(response);
                return new DnsResult<T>(records.Count > 0 ? DnsStatus.Ok : DnsStatus.NoData, records) { Authenticated = Secure(response) };
            case DnsHeaderResponseCode.NotExistentDomain:
                return DnsResult<T>.Failed(DnsStatus.NxDomain, $"{question}: no such domain (NXDOMAIN)") with { Authenticated = Secure(response) };
            default:
                return DnsResult<T>.Failed(DnsStatus.TemporaryFailure, $"{question}: {response.Header.ResponseCode}");
        }
    }

    private bool Secure(IDnsQueryResponse response) => trustAuthenticatedData && response.Header.IsAuthenticData;

    private static string HostName(string value) => value.TrimEnd('.').ToLowerInvariant();
}
