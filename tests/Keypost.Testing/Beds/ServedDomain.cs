using System.Net;
using System.Text.Json;
using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Store.Maildir;

namespace Keypost.Testing.Beds;

/// <summary>
/// A bed domain run as an operator runs it: `keypost serve --config FILE` in a child process (see
/// <see cref="TestBed.ServeAsync"/>), which a test can kill, terminate and start again.
/// </summary>
public sealed class ServedDomain(LocalDomainOptions options, KeypostConfig config, string configPath, KeypostServeProcess server) : IAsyncDisposable
{
    public LocalDomainOptions Options { get; } = options;

    public KeypostConfig Config { get; } = config;

    public string ConfigPath { get; } = configPath;

    public KeypostServeProcess Server { get; } = server;

    public IPEndPoint Inbound => LocalDomain.Listener(Config, Config.Mail.Inbound, "inbound SMTP");

    public IPEndPoint Submission => LocalDomain.Listener(Config, Config.Mail.Submission, "submission");

    public IPEndPoint Metrics => LocalDomain.Listener(Config, Config.Metrics.Listen, "metrics");

    /// <summary>The configuration's directory (the domain's own folder in the bed).</summary>
    public string Directory => Path.GetDirectoryName(ConfigPath)!;

    public string MaildirOf(string address) => new MaildirStore(Config.MailDirectory).GetMaildirPath(EmailAddress.Parse(address));

    /// <summary>The JSON log lines so far (with <c>log.format</c> json), parsed; lines that are not one JSON object are skipped.</summary>
    public IReadOnlyList<JsonElement> LogEntries()
    {
        var entries = new List<JsonElement>();
        foreach (var line in Server.JsonLog)
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                entries.Add(document.RootElement.Clone());
            }
            catch (JsonException)
            {
                // Not a log line (a partial write, another program's output).
            }
        }

        return entries;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
