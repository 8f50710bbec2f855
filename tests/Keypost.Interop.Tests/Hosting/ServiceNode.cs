using System.Net;
using System.Text.Json;
using Keypost.Interop.Tests.Transport;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>
/// jedi.test run as an operator would: `keypost serve` in a child process with an inbound SMTP listener, the
/// operator's /healthz and /metrics listener, a short drain time and the JSON log; luke@jedi.test exists.
/// </summary>
public sealed class ServiceNode : IAsyncDisposable
{
    public const string LukePassword = "use-the-force";

    private readonly TempDirectory _directory;

    private ServiceNode(TempDirectory directory, LoopbackDnsServer dns, KeypostConfig config, KeypostServeProcess server, IPEndPoint inbound, IPEndPoint metrics)
    {
        _directory = directory;
        Dns = dns;
        Config = config;
        Server = server;
        Inbound = inbound;
        Metrics = metrics;
    }

    public LoopbackDnsServer Dns { get; }

    public KeypostConfig Config { get; }

    public KeypostServeProcess Server { get; }

    public IPEndPoint Inbound { get; }

    public IPEndPoint Metrics { get; }

    public string LukesMaildir => NodeConfig.Maildir(Config, "luke@jedi.test");

    /// <param name="configure">Changes to the configuration before it is written (extra listeners, a peer's port).</param>
    /// <param name="arguments">Extra `keypost serve` arguments.</param>
    /// <param name="environment">Extra environment variables for the server process.</param>
    public static async Task<ServiceNode> StartAsync(Action<KeypostConfig>? configure = null, IReadOnlyList<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var directory = new TempDirectory("keypost-service");
        var dns = new LoopbackDnsServer();
        var inbound = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        var metrics = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        KeypostConfig config;
        using (var ca = LocalCertificateAuthority.Create("Keypost service CA"))
        {
            config = NodeConfig.Create(directory.Path, "jedi.test", ca, dns.EndPoint);
        }

        config.Mail.Inbound = [inbound.ToString()];
        config.Metrics.Listen = [metrics.ToString()];
        config.DrainSeconds = 3;
        config.Log.Format = "json";
        configure?.Invoke(config);
        var configPath = directory.Combine("keypost.json");
        config.Save(configPath);
        var added = await KeypostCli.RunAsync(["user", "add", "luke@jedi.test", "--config", configPath], LukePassword + "\n");
        Assert.True(added.ExitCode == 0, added.ToString());

        var server = new KeypostServeProcess(configPath, inbound, arguments, environment);
        await server.StartAsync(TimeSpan.FromSeconds(30));
        return new ServiceNode(directory, dns, config, server, inbound, metrics);
    }

    /// <summary>The JSON log lines so far, parsed; lines that are not one JSON object are skipped.</summary>
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

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Dns.Dispose();
        _directory.Dispose();
    }
}
