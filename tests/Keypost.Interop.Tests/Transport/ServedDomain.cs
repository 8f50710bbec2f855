using System.Net;
using Keypost.LocalServe;
using Keypost.Mail.Smtp;
using Keypost.Server.Configuration;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// jedi.test served by `keypost serve` in a child process, with luke@jedi.test created through `keypost user add`.
/// Inbound SPF/DMARC lookups go to a loopback DNS server with no records, which answers NXDOMAIN at once.
/// </summary>
public sealed class ServedDomain : IAsyncDisposable
{
    public const string LukePassword = "use-the-force";

    private readonly TempDirectory _directory;
    private readonly LoopbackDnsServer _dns;

    private ServedDomain(TempDirectory directory, LoopbackDnsServer dns, KeypostConfig config, string configPath, KeypostServeProcess server, IPEndPoint endPoint)
    {
        _directory = directory;
        _dns = dns;
        Config = config;
        ConfigPath = configPath;
        Server = server;
        EndPoint = endPoint;
    }

    public KeypostConfig Config { get; }

    public string ConfigPath { get; }

    public KeypostServeProcess Server { get; }

    /// <summary>The one SMTP listener: inbound or submission, as asked.</summary>
    public IPEndPoint EndPoint { get; }

    public string Directory => _directory.Path;

    public string LukesMaildir => NodeConfig.Maildir(Config, "luke@jedi.test");

    public static async Task<ServedDomain> StartAsync(SmtpListenerKind kind)
    {
        var directory = new TempDirectory("keypost-served");
        var dns = new LoopbackDnsServer();
        var endPoint = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        KeypostConfig config;
        using (var ca = LocalCertificateAuthority.Create("Keypost transport CA"))
        {
            config = NodeConfig.Create(directory.Path, "jedi.test", ca, dns.EndPoint);
        }

        if (kind == SmtpListenerKind.Submission)
        {
            config.Mail.Submission = [endPoint.ToString()];
        }
        else
        {
            config.Mail.Inbound = [endPoint.ToString()];
        }

        var configPath = directory.Combine("keypost.json");
        config.Save(configPath);
        var added = await KeypostCli.RunAsync(["user", "add", "luke@jedi.test", "--config", configPath], LukePassword + "\n");
        Assert.True(added.ExitCode == 0, added.ToString());

        var server = new KeypostServeProcess(configPath, endPoint);
        await server.StartAsync(TimeSpan.FromSeconds(30));
        return new ServedDomain(directory, dns, config, configPath, server, endPoint);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dns.Dispose();
        _directory.Dispose();
    }
}
