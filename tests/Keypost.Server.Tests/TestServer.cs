using System.Net;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;

namespace Keypost.Server.Tests;

/// <summary>A real Keypost server on a loopback port with its own CA, and an HTTPS client that trusts it.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly LocalCertificateAuthority _ca;

    private TestServer(TempDirectory directory, LocalCertificateAuthority ca, KeypostServer server, KeypostConfig config)
    {
        _directory = directory;
        _ca = ca;
        Server = server;
        Config = config;
    }

    public KeypostServer Server { get; }

    public KeypostConfig Config { get; }

    public IPEndPoint Endpoint => Server.HttpsEndpoints[0];

    public static async Task<TestServer> StartAsync(Action<KeypostConfig>? configure = null, KeypostServerSettings? settings = null)
    {
        var directory = new TempDirectory("keypost-server");
        var ca = LocalCertificateAuthority.Create();
        using var serverCertificate = ca.Issue(["jedi.test", "openpgpkey.jedi.test", "rebel.test", "openpgpkey.rebel.test", "empire.test", "openpgpkey.empire.test", "mta-sts.jedi.test", "mta-sts.elsewhere.test"]);
        ca.WriteServerPem(serverCertificate, directory.Combine("tls.crt"), directory.Combine("tls.key"));
        var config = new KeypostConfig
        {
            DataDirectory = directory.Combine("data"),
            Hostname = "mail.jedi.test",
            Domains = [new DomainConfig { Name = "jedi.test", WkdPolicy = "protocol-version: 18\n", SubmissionAddress = "key-submission@jedi.test" }, new DomainConfig { Name = "rebel.test" }],
            Http = new HttpConfig { Listen = ["127.0.0.1:0"], CertificateFile = directory.Combine("tls.crt"), KeyFile = directory.Combine("tls.key") },
            RateLimit = new RateLimitConfig { RequestsPerMinute = 0 },
        };
        configure?.Invoke(config);
        var server = await KeypostServer.StartAsync(config, settings ?? new KeypostServerSettings(), CancellationToken.None);
        return new TestServer(directory, ca, server, config);
    }

    /// <summary>An HTTPS client that connects every host name to this server and trusts only its CA.</summary>
    public HttpClient CreateClient() => Keypost.Testing.Net.PinnedHttps.Create(Endpoint, _ca.Certificate);

    /// <summary>Writes the CA certificate as PEM, for external tools that must trust this server.</summary>
    public void WriteCaPem(string path) => _ca.WriteCertificatePem(path);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _ca.Dispose();
        _directory.Dispose();
    }
}
