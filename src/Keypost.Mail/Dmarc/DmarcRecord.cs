using System.Globalization;
using Keypost.Mail.Authentication;

namespace Keypost.Mail.Dmarc;

/// <summary>A parsed <c>_dmarc</c> TXT record (RFC 7489 §6.3). Reporting tags are not used.</summary>
public sealed record DmarcRecord(
    DmarcPolicy Policy,
    DmarcPolicy? SubdomainPolicy = null,
    DmarcAlignment DkimAlignment = DmarcAlignment.Relaxed,
    DmarcAlignment SpfAlignment = DmarcAlignment.Relaxed,
    int Percent = 100)
{
    /// <summary>RFC 7489 §6.6.3: only records starting with "v=DMARC1" count.</summary>
    public static bool IsDmarcRecord(string txt)
    {
        var trimmed = txt.TrimStart();
        return trimmed.StartsWith("v=DMARC1", StringComparison.Ordinal)
            && (trimmed.Length == 8 || trimmed[8..].TrimStart().StartsWith(';'));
    }

    /// <summary>
    /// Parses a record. Per RFC 7489 §6.6.3 a missing or invalid p= (or invalid sp=) makes the record unusable,
    /// except that a record with a rua= tag is then treated as p=none. Unknown tags are ignored (§6.3).
    /// </summary>
    public static DmarcRecord? TryParse(string txt)
    {
        if (!IsDmarcRecord(txt) || TagValueList.Parse(txt) is not { } tags)
        {
            return null;
        }

        var policy = tags.TryGetValue("p", out var p) ? ParsePolicy(p) : null;
        DmarcPolicy? subdomain = null;
        var subdomainValid = true;
        if (tags.TryGetValue("sp", out var sp))
        {
            subdomain = ParsePolicy(sp);
            subdomainValid = subdomain is not null;
        }

        if (policy is null || !subdomainValid)
        {
            if (!tags.ContainsKey("rua"))
            {
                return null;
            }

            policy = DmarcPolicy.None;
            subdomain = null;
        }

        var percent = 100;
        if (tags.TryGetValue("pct", out var pct) && int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 100)
        {
            percent = n;
        }

        return new DmarcRecord(policy.Value, subdomain, ParseAlignment(tags, "adkim"), ParseAlignment(tags, "aspf"), percent);
    }

    private static DmarcPolicy? ParsePolicy(string value) => value.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };

    private static DmarcAlignment ParseAlignment(Dictionary<string, string> tags, string name) =>
        tags.TryGetValue(name, out var value) && value.Equals("s", StringComparison.OrdinalIgnoreCase) ? DmarcAlignment.Strict : DmarcAlignment.Relaxed;
}
