using System.Globalization;
using System.Net;

namespace Keypost.Server.Configuration;

/// <summary>
/// Moves listeners without editing the configuration file: <c>PORT=IP:PORT</c> rebinds every listener (HTTPS,
/// SMTP, IMAP, metrics) configured on PORT, whatever its address, to the one address given. It exists so a
/// configuration written for the standard ports (quickstart's) can run unprivileged on loopback: in tests, on a
/// laptop, or behind a port-forwarding firewall. Given as <c>keypost serve --listen-override</c> (repeatable) or
/// <c>$KEYPOST_LISTEN_OVERRIDE</c> (comma-separated); documented in docs/operations.md.
/// </summary>
public sealed class ListenOverrides
{
    public const string EnvironmentVariable = "KEYPOST_LISTEN_OVERRIDE";

    private readonly Dictionary<int, string> _byPort;

    private ListenOverrides(Dictionary<int, string> byPort)
    {
        _byPort = byPort;
    }

    public bool IsEmpty => _byPort.Count == 0;

    /// <summary>Parses <c>PORT=IP:PORT</c> items; a malformed one is a <see cref="ConfigException"/> naming it.</summary>
    public static ListenOverrides Parse(IEnumerable<string> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var byPort = new Dictionary<int, string>();
        foreach (var raw in items.SelectMany(i => i.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var equals = raw.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0
                || !int.TryParse(raw[..equals], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535
                || !ListenAddress.TryParse(raw[(equals + 1)..], out var target))
            {
                throw new ConfigException($"listen override '{raw}' is not of the form PORT=IP:PORT (e.g. 25=127.0.0.1:2525)");
            }

            byPort[port] = Format(target);
        }

        return new ListenOverrides(byPort);
    }

    /// <summary>Rewrites the configuration's listeners in place; listeners that become equal are kept once.</summary>
    public void Apply(KeypostConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (IsEmpty)
        {
            return;
        }

        config.Http.Listen = Map(config.Http.Listen);
        config.Metrics.Listen = Map(config.Metrics.Listen);
        config.Mail.Inbound = Map(config.Mail.Inbound);
        config.Mail.Submission = Map(config.Mail.Submission);
        config.Mail.SubmissionTls = Map(config.Mail.SubmissionTls);
        config.Mail.Imap = Map(config.Mail.Imap);
        config.Mail.ImapTls = Map(config.Mail.ImapTls);
        config.Acme.ChallengeListen = Map(config.Acme.ChallengeListen);
    }

    private List<string> Map(List<string> listeners) =>
        listeners.Select(l => ListenAddress.TryParse(l, out var endpoint) && _byPort.TryGetValue(endpoint.Port, out var target) ? target : l)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private static string Format(IPEndPoint endpoint) => endpoint.ToString();
}
