namespace Keypost.Mail.Dmarc;

/// <summary>
/// The organizational domain (RFC 7489 §3.2) from the Public Suffix List: <c>mail.rebel.test</c> →
/// <c>rebel.test</c>, <c>mail.example.co.uk</c> → <c>example.co.uk</c>. The list is the copy vendored in this
/// assembly (see <see cref="PublicSuffixList"/>), so every machine decides alike.
/// </summary>
public static class OrganizationalDomain
{
    public static string Of(string domain) => PublicSuffixList.Default.OrganizationalDomainOf(domain);

    /// <summary>RFC 7489 §3.1: relaxed alignment holds when both names share an organizational domain; strict when equal.</summary>
    public static bool Aligned(string a, string b, DmarcAlignment mode)
    {
        a = a.TrimEnd('.').ToLowerInvariant();
        b = b.TrimEnd('.').ToLowerInvariant();
        return mode == DmarcAlignment.Strict ? a == b : Of(a) == Of(b);
    }
}
