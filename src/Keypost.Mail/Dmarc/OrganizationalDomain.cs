namespace Keypost.Mail.Dmarc;

/// <summary>
/// The organizational domain (RFC 7489 §3.2), approximated as the last two labels: <c>mail.rebel.test</c> →
/// <c>rebel.test</c>. Without the Public Suffix List this is wrong for multi-label suffixes (<c>example.co.uk</c>
/// gives <c>co.uk</c>): relaxed alignment there is looser than DMARC intends, and the org-domain record lookup
/// may query the suffix. Keypost's own domains (and .test) are fine; swap in a PSL-based rule if needed.
/// </summary>
public static class OrganizationalDomain
{
    public static string Of(string domain)
    {
        var labels = domain.TrimEnd('.').ToLowerInvariant().Split('.');
        return labels.Length <= 2 ? string.Join('.', labels) : string.Join('.', labels[^2..]);
    }

    /// <summary>RFC 7489 §3.1: relaxed alignment holds when both names share an organizational domain; strict when equal.</summary>
    public static bool Aligned(string a, string b, DmarcAlignment mode)
    {
        a = a.TrimEnd('.').ToLowerInvariant();
        b = b.TrimEnd('.').ToLowerInvariant();
        return mode == DmarcAlignment.Strict ? a == b : Of(a) == Of(b);
    }
}
