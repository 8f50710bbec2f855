namespace Keypost.Server.Configuration;

/// <summary>The server's log: console output, one line per event.</summary>
public sealed class LogConfig
{
    /// <summary>"text" (one readable line per event) or "json" (one JSON object per line, for log shippers).</summary>
    public string Format { get; set; } = "text";

    /// <summary>The least severe level written: Trace, Debug, Information, Warning, Error, Critical or None.</summary>
    public string Level { get; set; } = "Information";
}
