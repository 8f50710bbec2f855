namespace Keypost.Mail.Authentication;

/// <summary>A record a domain should publish. <see cref="Name"/> is fully qualified without the trailing dot.</summary>
public sealed record PublishedDnsRecord(string Name, string Type, string Value, string Purpose)
{
    /// <summary>A zone-file line; TXT values longer than 255 octets are split into several strings (RFC 1035 §3.3.14).</summary>
    public string ToZoneFileLine()
    {
        var data = Type == "TXT"
            ? string.Join(" ", Value.Chunk(255).Select(c => "\"" + new string(c).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""))
            : Value;
        return $"{Name}. IN {Type} {data}";
    }
}
