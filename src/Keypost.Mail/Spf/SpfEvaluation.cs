using System.Net;
using System.Net.Sockets;
using Keypost.Mail.Dns;

namespace Keypost.Mail.Spf;

/// <summary>
/// One run of check_host() with its recursion (include, redirect). The lookup counters live here because the
/// limits of RFC 7208 §4.6.4 span the whole evaluation, nested records included.
/// </summary>
internal sealed class SpfEvaluation(IMailDnsResolver dns, IPAddress client, string sender, string helo)
{
    public const int MaxDnsTerms = 10;
    public const int MaxVoidLookups = 2;
    public const int MaxMxRecords = 10;

    private int dnsTerms;
    private int voidLookups;

    /// <summary>Returns none/neutral/pass/fail/softfail; throws <see cref="SpfException"/> for temperror/permerror.</summary>
    public async Task<SpfResult> CheckHostAsync(string domain, CancellationToken cancellationToken)
    {
        // §4.3: a domain that is not a fully qualified, well-formed name gives "none".
        if (!IsValidDomain(domain))
        {
            return SpfResult.None;
        }

        var record = await FetchRecordAsync(domain, cancellationToken);
        if (record is null)
        {
            return SpfResult.None;
        }

        var context = new SpfMacroContext(sender, domain, client, helo);
        foreach (var mechanism in record.Mechanisms)
        {
            if (await MatchesAsync(mechanism, context, cancellationToken))
            {
                return mechanism.Qualifier;
            }
        }

        if (record.Redirect is not null)
        {
            // §6.1: redirect counts as a DNS term; a target without a record is a permerror.
            CountDnsTerm();
            var target = SpfMacroExpander.Expand(record.Redirect, context);
            var result = await CheckHostAsync(Truncate(target), cancellationToken);
            return result == SpfResult.None ? throw SpfException.Perm($"redirect target {target} has no SPF record") : result;
        }

        return SpfResult.Neutral; // §4.7: no match and no redirect
    }

    private async Task<SpfRecord?> FetchRecordAsync(string domain, CancellationToken cancellationToken)
    {
        var answer = await dns.GetTxtAsync(domain, cancellationToken);
        if (answer.Status == DnsStatus.TemporaryFailure)
        {
            throw SpfException.Temp($"DNS error fetching the SPF record of {domain}");
        }

        var records = answer.Records.Where(SpfRecordParser.IsSpfRecord).ToList();
        return records.Count switch
        {
            0 => null,
            1 => SpfRecordParser.Parse(records[0]),
            _ => throw SpfException.Perm($"{domain} publishes more than one SPF record"), // §4.5
        };
    }

    private async Task<bool> MatchesAsync(SpfMechanism mechanism, SpfMacroContext context, CancellationToken cancellationToken)
    {
        switch (mechanism.Name)
        {
            case "all":
                return true;
            case "ip4" or "ip6":
                return mechanism.Network!.AddressFamily == client.AddressFamily
                    && InPrefix(client, mechanism.Network, PrefixFor(mechanism));
            case "a":
                CountDnsTerm();
                return await AnyAddressMatchesAsync(Target(mechanism, context), PrefixFor(mechanism), countVoid: true, cancellationToken);
            case "mx":
                CountDnsTerm();
                return await MxMatchesAsync(Target(mechanism, context), PrefixFor(mechanism), cancellationToken);
            case "ptr":
                CountDnsTerm();
                return false;
            case "exists":
                CountDnsTerm();
                return await ExistsAsync(Target(mechanism, context), cancellationToken);
            case "include":
                CountDnsTerm();
                return await IncludeMatchesAsync(Target(mechanism, context), cancellationToken);
            default:
                throw SpfException.Perm($"unknown mechanism {mechanism.Name}");
        }
    }

    private async Task<bool> IncludeMatchesAsync(string target, CancellationToken cancellationToken)
    {
        // §5.2: pass matches; fail, softfail and neutral do not; none is a permerror; errors propagate.
        var result = await CheckHostAsync(target, cancellationToken);
        return result switch
        {
            SpfResult.Pass => true,
            SpfResult.None => throw SpfException.Perm($"included domain {target} has no SPF record"),
            _ => false,
        };
    }

    private async Task<bool> AnyAddressMatchesAsync(string name, int prefix, bool countVoid, CancellationToken cancellationToken)
    {
        var answer = await dns.GetAddressesAsync(name, client.AddressFamily, cancellationToken);
        if (!Usable(answer.Status, name, countVoid))
        {
            return false;
        }

        return answer.Records.Any(a => a.AddressFamily == client.AddressFamily && InPrefix(client, a, prefix));
    }

    private async Task<bool> MxMatchesAsync(string name, int prefix, CancellationToken cancellationToken)
    {
        var answer = await dns.GetMxAsync(name, cancellationToken);
        if (!Usable(answer.Status, name, countVoid: true))
        {
            return false;
        }

        if (answer.Records.Count > MaxMxRecords)
        {
            throw SpfException.Perm($"{name} has more than {MaxMxRecords} MX records"); // §4.6.4
        }

        // A null MX (RFC 7505) names no host, so it has no addresses to match.
        foreach (var mx in answer.Records.Where(m => !m.IsNullMx).OrderBy(m => m.Preference))
        {
            if (await AnyAddressMatchesAsync(mx.Host.TrimEnd('.'), prefix, countVoid: false, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    private async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        // §5.7: always an A query, whatever the client's address family.
        var answer = await dns.GetAddressesAsync(name, AddressFamily.InterNetwork, cancellationToken);
        return Usable(answer.Status, name, countVoid: true);
    }

    private bool Usable(DnsStatus status, string name, bool countVoid)
    {
        switch (status)
        {
            case DnsStatus.TemporaryFailure:
                throw SpfException.Temp($"DNS error looking up {name}");
            case DnsStatus.NoData or DnsStatus.NxDomain:
                // §4.6.4: a void lookup is NOERROR with no answers or NXDOMAIN; both count.
                if (countVoid && ++voidLookups > MaxVoidLookups)
                {
                    throw SpfException.Perm($"more than {MaxVoidLookups} void lookups"); // §4.6.4
                }

                return false;
            default:
                return true;
        }
    }

    private void CountDnsTerm()
    {
        if (++dnsTerms > MaxDnsTerms)
        {
            throw SpfException.Perm($"more than {MaxDnsTerms} DNS-querying terms"); // §4.6.4
        }
    }

    private int PrefixFor(SpfMechanism mechanism) =>
        client.AddressFamily == AddressFamily.InterNetwork ? mechanism.Prefix4 : mechanism.Prefix6;

    private static string Target(SpfMechanism mechanism, SpfMacroContext context) =>
        mechanism.DomainSpec is null ? context.Domain : Truncate(SpfMacroExpander.Expand(mechanism.DomainSpec, context));

    /// <summary>§7.3: an expanded name longer than 253 characters loses labels from the left.</summary>
    private static string Truncate(string name)
    {
        name = name.TrimEnd('.');
        while (name.Length > 253 && name.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0)
        {
            name = name[(dot + 1)..];
        }

        return name;
    }

    private static bool InPrefix(IPAddress address, IPAddress network, int prefix)
    {
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        if (a.Length != n.Length)
        {
            return false;
        }

        var fullBytes = prefix / 8;
        if (!a.AsSpan(0, fullBytes).SequenceEqual(n.AsSpan(0, fullBytes)))
        {
            return false;
        }

        var bits = prefix % 8;
        if (bits == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - bits));
        return (a[fullBytes] & mask) == (n[fullBytes] & mask);
    }

    private static bool IsValidDomain(string domain)
    {
        if (domain.Length is 0 or > 253 || IPAddress.TryParse(domain, out _)
            || !domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return false;
        }

        var labels = domain.Split('.');
        return labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63);
    }
}
