using System.Net;
using Keypost.Mail.Dns;

namespace Keypost.Mail.Spf;

/// <summary>
/// In charge of SPF: parsing records and evaluating a sender's address.
/// Evaluates SPF (RFC 7208) for a client IP against MAIL FROM, or HELO when the reverse-path is null.
/// Limits: 10 DNS-querying terms and 2 void lookups per evaluation (§4.6.4); <c>ptr</c> never matches
/// (§5.5 discourages it) but still counts as a lookup; <c>exp=</c> is ignored.
/// </summary>
public sealed class SpfChecker(IMailDnsResolver dns)
{
    /// <summary>Checks the identity RFC 7208 §2.3/§2.4 prescribe for this SMTP transaction.</summary>
    public Task<SpfCheckResult> CheckAsync(IPAddress client, string heloName, string? mailFrom, CancellationToken cancellationToken)
    {
        heloName = heloName.TrimEnd('.');
        if (string.IsNullOrEmpty(mailFrom))
        {
            // §2.4: with a null reverse-path the HELO identity is checked, as postmaster@<helo>.
            return CheckHostAsync(client, heloName, "postmaster@" + heloName, heloName, SpfIdentity.Helo, cancellationToken);
        }

        var at = mailFrom.LastIndexOf('@');
        var domain = at < 0 ? mailFrom : mailFrom[(at + 1)..];
        var sender = at <= 0 ? "postmaster@" + domain : mailFrom; // §4.3: no local-part means "postmaster"
        return CheckHostAsync(client, domain, sender, heloName, SpfIdentity.MailFrom, cancellationToken);
    }

    /// <summary>check_host(ip, domain, sender) of RFC 7208 §4.</summary>
    public async Task<SpfCheckResult> CheckHostAsync(IPAddress client, string domain, string sender, string heloName, SpfIdentity identity, CancellationToken cancellationToken)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        var evaluation = new SpfEvaluation(dns, client, sender, heloName);
        try
        {
            var result = await evaluation.CheckHostAsync(domain, cancellationToken);
            return new SpfCheckResult(result, identity, domain, sender);
        }
        catch (SpfException ex)
        {
            return new SpfCheckResult(ex.Result, identity, domain, sender, ex.Message);
        }
    }
}
