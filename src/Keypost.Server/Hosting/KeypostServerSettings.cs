using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>How a <see cref="KeypostServer"/> runs: as the process's service (<c>keypost serve</c>) or inside another program.</summary>
public sealed class KeypostServerSettings
{
    /// <summary>
    /// True for <c>keypost serve</c>: SIGTERM/SIGINT stop the server (draining), systemd is notified when run
    /// as a Type=notify unit, and the log follows the configuration's <c>log</c> section.
    /// </summary>
    public bool RunAsService { get; init; }

    /// <summary>Overrides <c>log.format</c> ("text" or "json"), as <c>--log-format</c> does.</summary>
    public string? LogFormat { get; init; }

    /// <summary>The least severe level logged when embedded (a service uses <c>log.level</c>).</summary>
    public LogLevel EmbeddedLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Extra logging set-up (tests add a provider that records).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
