using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Keypost.Mail.Spf;

/// <summary>Parses the terms of an SPF record (RFC 7208 §4.6, §12 ABNF). Any syntax error is a permerror.</summary>
internal static partial class SpfRecordParser
{
    /// <summary>RFC 7208 §4.5: a record starts with exactly "v=spf1" followed by a space or its end.</summary>
    public static bool IsSpfRecord(string txt) =>
        txt.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (txt.Length == 6 || txt[6] == ' ');

    public static SpfRecord Parse(string txt)
    {
        var mechanisms = new List<SpfMechanism>();
        string? redirect = null;
        var sawExp = false;
        foreach (var term in txt[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var modifier = Modifier().Match(term);
            if (modifier.Success)
            {
                var name = modifier.Groups["name"].Value.ToLowerInvariant();
                var value = modifier.Groups["value"].Value;
                SpfMacroExpander.Validate(value);
                switch (name)
                {
                    // RFC 7208 §6: redirect and exp may each appear at most once.
                    case "redirect" when redirect is not null:
                    case "exp" when sawExp:
                        throw SpfException.Perm($"{name}= appears twice");
                    case "redirect":
                        redirect = value.Length > 0 ? value : throw SpfException.Perm("empty redirect=");
                        break;
                    case "exp":
                        sawExp = true;
                        break;
                }

                continue;
            }

            mechanisms.Add(ParseDirective(term));
        }

        return new SpfRecord(mechanisms, redirect);
    }

    private static SpfMechanism ParseDirective(string term)
    {
        var qualifier = term[0] switch
        {
            '+' => SpfResult.Pass,
            '-' => SpfResult.Fail,
            '~' => SpfResult.SoftFail,
            '?' => SpfResult.Neutral,
            _ => (SpfResult?)null,
        };
        var body = qualifier is null ? term : term[1..];
        var nameEnd = body.IndexOfAny([':', '/']);
        var name = (nameEnd < 0 ? body : body[..nameEnd]).ToLowerInvariant();
        var rest = nameEnd < 0 ? "" : body[nameEnd..];
        var q = qualifier ?? SpfResult.Pass;
        switch (name)
        {
            case "all" when rest.Length == 0:
                return new SpfMechanism(q, name, null, 32, 128, null);
            case "include" or "exists" when rest.StartsWith(':') && rest.Length > 1:
                SpfMacroExpander.Validate(rest[1..]);
                return new SpfMechanism(q, name, rest[1..], 32, 128, null);
            case "ptr" when rest.Length == 0 || (rest.StartsWith(':') && rest.Length > 1):
                return new SpfMechanism(q, name, rest.Length == 0 ? null : rest[1..], 32, 128, null);
            case "a" or "mx":
                return ParseHostMechanism(q, name, rest);
            case "ip4" or "ip6" when rest.StartsWith(':'):
                return ParseNetwork(q, name, rest[1..]);
            default:
                throw SpfException.Perm($"unknown or malformed mechanism '{term}'");
        }
    }

    private static SpfMechanism ParseHostMechanism(SpfResult qualifier, string name, string rest)
    {
        // a[:domain-spec][/ip4-cidr][//ip6-cidr] (RFC 7208 §5.3, §5.4)
        var m = DualCidr().Match(rest);
        if (!m.Success)
        {
            throw SpfException.Perm($"malformed {name} mechanism '{name}{rest}'");
        }

        var domain = m.Groups["domain"].Success ? m.Groups["domain"].Value : null;
        if (domain is not null)
        {
            SpfMacroExpander.Validate(domain);
        }

        var p4 = m.Groups["c4"].Success ? Prefix(m.Groups["c4"].Value, 32) : 32;
        var p6 = m.Groups["c6"].Success ? Prefix(m.Groups["c6"].Value, 128) : 128;
        return new SpfMechanism(qualifier, name, domain, p4, p6, null);
    }

    private static SpfMechanism ParseNetwork(SpfResult qualifier, string name, string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? value : value[..slash];
        var family = name == "ip4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        var max = family == AddressFamily.InterNetwork ? 32 : 128;
        if (!IPAddress.TryParse(addressText, out var address) || address.AddressFamily != family
            || (family == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3))
        {
            throw SpfException.Perm($"malformed {name} address '{value}'");
        }

        var prefix = slash < 0 ? max : Prefix(value[(slash + 1)..], max);
        return new SpfMechanism(qualifier, name, null, family == AddressFamily.InterNetwork ? prefix : 32, family == AddressFamily.InterNetworkV6 ? prefix : 128, address);
    }

    private static int Prefix(string text, int max)
    {
        // RFC 7208 §5.6: no leading zeros, and at most 32 / 128.
        if (text.Length == 0 || text.Length > 3 || (text.Length > 1 && text[0] == '0') || !text.All(char.IsAsciiDigit)
            || int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) is var n && n > max)
        {
            throw SpfException.Perm($"bad CIDR length '/{text}'");
        }

        return n;
    }

    [GeneratedRegex("^(?<name>[A-Za-z][A-Za-z0-9_.-]*)=(?<value>.*)$")]
    private static partial Regex Modifier();

    [GeneratedRegex("^(?::(?<domain>[^/]+))?(?:/(?<c4>[0-9]+))?(?://(?<c6>[0-9]+))?$")]
    private static partial Regex DualCidr();
}
