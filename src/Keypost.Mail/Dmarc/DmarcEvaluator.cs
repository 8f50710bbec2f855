using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Mail.Spf;
using MimeKit;

namespace Keypost.Mail.Dmarc;

/// <summary>
/// In charge of DMARC: the author domain, its policy and alignment.
/// DMARC (RFC 7489): finds the policy for the From domain and checks whether a passing DKIM signature or a
/// passing SPF identity is aligned with it.
/// </summary>
/// <param name="dns">TXT lookups for <c>_dmarc.</c> names.</param>
/// <param name="sample">Returns a number in [0, 100) for pct= sampling (§6.6.4); random by default.</param>
public sealed class DmarcEvaluator(IMailDnsResolver dns, Func<int>? sample = null)
{
    private readonly Func<int> sample = sample ?? (() => Random.Shared.Next(100));

    public async Task<DmarcCheckResult> EvaluateAsync(
        MimeMessage message,
        IReadOnlyList<DkimSignatureResult> dkim,
        SpfCheckResult spf,
        CancellationToken cancellationToken)
    {
        var fromDomain = AuthorDomain.Find(message, out var problem);
        if (fromDomain is null)
        {
            // §6.6.1: a message without exactly one author domain cannot be evaluated; such mail is to be rejected.
            return new DmarcCheckResult(DmarcResult.PermError, null, DmarcPolicy.Reject, Reason: problem);
        }

        return await EvaluateAsync(fromDomain, dkim, spf, cancellationToken);
    }

    public async Task<DmarcCheckResult> EvaluateAsync(
        string fromDomain,
        IReadOnlyList<DkimSignatureResult> dkim,
        SpfCheckResult spf,
        CancellationToken cancellationToken)
    {
        fromDomain = fromDomain.TrimEnd('.').ToLowerInvariant();
        var (status, record, atOrganizationalDomain) = await DiscoverAsync(fromDomain, cancellationToken);
        if (status == DnsStatus.TemporaryFailure)
        {
            return new DmarcCheckResult(DmarcResult.TempError, fromDomain, DmarcPolicy.None, Reason: "DNS error fetching the DMARC record");
        }

        if (record is null)
        {
            return new DmarcCheckResult(DmarcResult.None, fromDomain, DmarcPolicy.None, Reason: "no DMARC record");
        }

        // §3.1.1 and §3.1.2: an aligned pass of either mechanism is a DMARC pass.
        var dkimAligned = dkim.Any(d => d.Result == DkimResult.Pass && d.Domain is not null
            && OrganizationalDomain.Aligned(d.Domain, fromDomain, record.DkimAlignment));
        var spfAligned = spf.Result == SpfResult.Pass && OrganizationalDomain.Aligned(spf.Domain, fromDomain, record.SpfAlignment);
        if (dkimAligned || spfAligned)
        {
            return new DmarcCheckResult(DmarcResult.Pass, fromDomain, DmarcPolicy.None, record);
        }

        // §6.3: sp= applies to a subdomain whose policy came from its organizational domain's record.
        var policy = atOrganizationalDomain ? record.SubdomainPolicy ?? record.Policy : record.Policy;

        // §6.6.4: outside the pct= sample, apply the next less strict policy.
        if (record.Percent < 100 && sample() >= record.Percent)
        {
            policy = policy == DmarcPolicy.Reject ? DmarcPolicy.Quarantine : DmarcPolicy.None;
        }

        return new DmarcCheckResult(DmarcResult.Fail, fromDomain, policy, record, "no aligned DKIM or SPF pass");
    }

    /// <summary>§6.6.3: the record at _dmarc.&lt;from&gt;, else at _dmarc.&lt;organizational domain&gt;.</summary>
    private async Task<(DnsStatus Status, DmarcRecord? Record, bool AtOrganizationalDomain)> DiscoverAsync(string fromDomain, CancellationToken cancellationToken)
    {
        var (status, record) = await FetchAsync(fromDomain, cancellationToken);
        if (record is not null || status == DnsStatus.TemporaryFailure)
        {
            return (status, record, false);
        }

        var organizational = OrganizationalDomain.Of(fromDomain);
        if (organizational == fromDomain)
        {
            return (status, null, false);
        }

        (status, record) = await FetchAsync(organizational, cancellationToken);
        return (status, record, true);
    }

    private async Task<(DnsStatus Status, DmarcRecord? Record)> FetchAsync(string domain, CancellationToken cancellationToken)
    {
        var answer = await dns.GetTxtAsync("_dmarc." + domain, cancellationToken);
        if (answer.Status != DnsStatus.Ok)
        {
            return (answer.Status, null);
        }

        // §6.6.3: more than one DMARC record (or none) means no policy here.
        var records = answer.Records.Where(DmarcRecord.IsDmarcRecord).ToList();
        return (DnsStatus.Ok, records.Count == 1 ? DmarcRecord.TryParse(records[0]) : null);
    }
}
