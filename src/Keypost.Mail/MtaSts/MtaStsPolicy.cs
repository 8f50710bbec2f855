namespace Keypost.Mail.MtaSts;

/// <summary>An MTA-STS policy (RFC 8461 §3.2) as fetched, with the TXT record id it was fetched under.</summary>
public sealed record MtaStsPolicy(MtaStsMode Mode, IReadOnlyList<string> MxPatterns, TimeSpan MaxAge, string Id, string Text)
{
    /// <summary>RFC 8461 §3.2: max_age is at most 31557600 seconds.</summary>
    public static readonly TimeSpan LongestMaxAge = TimeSpan.FromSeconds(31_557_600);

    /// <summary>RFC 8461 §4.1: an MX host matches a pattern exactly, or "*.example" matches one label more.</summary>
    public bool AllowsMx(string host)
    {
        host = host.TrimEnd('.');
        foreach (var pattern in MxPatterns)
        {
            if (string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            var dot = host.IndexOf('.', StringComparison.Ordinal);
            if (pattern.StartsWith("*.", StringComparison.Ordinal) && dot > 0
                && string.Equals(pattern[1..], host[dot..], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Parses a policy body (RFC 8461 §3.2): "key: value" lines separated by CRLF or LF; version STSv1, mode, max_age
    /// and (unless mode is none) at least one mx are required; unknown keys are ignored. Null when invalid.
    /// </summary>
    public static MtaStsPolicy? Parse(string text, string id)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? version = null;
        MtaStsMode? mode = null;
        TimeSpan? maxAge = null;
        var mx = new List<string>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "version":
                    version ??= value;
                    break;
                case "mode":
                    mode ??= value switch
                    {
                        "enforce" => MtaStsMode.Enforce,
                        "testing" => MtaStsMode.Testing,
                        "none" => MtaStsMode.None,
                        _ => (MtaStsMode)(-1),
                    };
                    break;
                case "max_age":
                    // RFC 8461 §3.2: 1*10DIGIT, up to 31557600.
                    if (maxAge is null)
                    {
                        maxAge = value.Length is > 0 and <= 10 && value.All(char.IsAsciiDigit) && long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) is var seconds && seconds <= 31_557_600
                            ? TimeSpan.FromSeconds(seconds)
                            : TimeSpan.MinValue;
                    }

                    break;
                case "mx":
                    mx.Add(value.TrimEnd('.'));
                    break;
            }
        }

        if (version != "STSv1" || mode is null || !Enum.IsDefined(mode.Value) || maxAge is null || maxAge == TimeSpan.MinValue)
        {
            return null;
        }

        if (mode != MtaStsMode.None && mx.Count == 0)
        {
            return null;
        }

        return new MtaStsPolicy(mode.Value, mx, maxAge.Value, id, text);
    }
}
