using System.Globalization;

namespace Keypost.Mail.Dmarc;

/// <summary>
/// In charge of the Public Suffix List (https://publicsuffix.org/list/): which names are suffixes under which
/// anyone may register (co.uk, github.io). The rules of the list's format: the longest matching rule prevails,
/// "*." rules match any one label, "!" exceptions beat every other rule, and with no match the rule is "*".
/// Rules are kept in ASCII (IDNA A-labels) because DNS names here are. Both the ICANN and the private sections
/// are used, as DMARC receivers commonly do.
/// </summary>
public sealed class PublicSuffixList
{
    private const string ResourceName = "Keypost.Mail.Dmarc.public_suffix_list.dat";

    private static readonly Lazy<PublicSuffixList> Vendored = new(LoadVendored);

    private readonly HashSet<string> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wildcards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _exceptions = new(StringComparer.Ordinal);

    private PublicSuffixList()
    {
    }

    /// <summary>The copy vendored in this assembly (refreshed by <c>update-public-suffix-list.sh</c>).</summary>
    public static PublicSuffixList Default => Vendored.Value;

    /// <summary>Reads a list in the publicsuffix.org format.</summary>
    public static PublicSuffixList Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var list = new PublicSuffixList();
        var idn = new IdnMapping();
        while (reader.ReadLine() is { } line)
        {
            // The format: one rule per line, up to the first whitespace; "//" starts a comment line.
            var rule = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (rule is null || rule.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var target = list._rules;
            if (rule.StartsWith('!'))
            {
                target = list._exceptions;
                rule = rule[1..];
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                target = list._wildcards;
                rule = rule[2..];
            }

            try
            {
                target.Add(idn.GetAscii(rule).ToLowerInvariant());
            }
            catch (ArgumentException)
            {
                // A rule IDNA cannot encode cannot match an ASCII name either.
            }
        }

        return list;
    }

    /// <summary>The public suffix of a (lower-case, ASCII) domain name.</summary>
    public string PublicSuffixOf(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var labels = domain.TrimEnd('.').ToLowerInvariant().Split('.');
        // Walk from the longest candidate; the first hit is the rule with the most labels.
        for (var start = 0; start < labels.Length; start++)
        {
            var candidate = string.Join('.', labels[start..]);
            if (_exceptions.Contains(candidate))
            {
                // An exception rule's suffix is the rule without its leftmost label.
                return string.Join('.', labels[(start + 1)..]);
            }

            if (_rules.Contains(candidate))
            {
                return candidate;
            }

            if (start + 1 < labels.Length && _wildcards.Contains(string.Join('.', labels[(start + 1)..])))
            {
                return candidate;
            }
        }

        // No rule: the default rule "*" makes the last label the suffix.
        return labels[^1];
    }

    /// <summary>The public suffix plus one more label; null when the name is itself a public suffix.</summary>
    public string? RegistrableDomainOf(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var name = domain.TrimEnd('.').ToLowerInvariant();
        var suffix = PublicSuffixOf(name);
        if (name.Length <= suffix.Length)
        {
            return null;
        }

        var rest = name[..^(suffix.Length + 1)];
        var dot = rest.LastIndexOf('.');
        return (dot < 0 ? rest : rest[(dot + 1)..]) + "." + suffix;
    }

    /// <summary>
    /// RFC 7489 §3.2: the public suffix plus one more label; a name that is itself a public suffix is its own
    /// organizational domain (the RFC leaves that case open; the name is the most specific answer).
    /// </summary>
    public string OrganizationalDomainOf(string domain) =>
        RegistrableDomainOf(domain) ?? domain.TrimEnd('.').ToLowerInvariant();

    private static PublicSuffixList LoadVendored()
    {
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the vendored Public Suffix List ({ResourceName}) is missing from the assembly");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
