namespace Keypost.Mail.Authentication;

/// <summary>
/// The "tag=value; tag=value" syntax shared by DKIM signatures and keys (RFC 6376 §3.2) and DMARC records
/// (RFC 7489 §6.4). Returns null when the list is malformed or repeats a tag (RFC 6376 §3.2: "MUST NOT").
/// </summary>
internal static class TagValueList
{
    public static Dictionary<string, string>? Parse(string text)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(part))
            {
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return null;
            }

            var name = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            if (name.Length == 0 || !tags.TryAdd(name, value))
            {
                return null;
            }
        }

        return tags;
    }
}
