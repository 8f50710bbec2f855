using System.Net;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Wkd;

/// <summary>
/// `keypost serve` for jedi.test on port 443 of a spare loopback address (dirmngr only ever connects to 443),
/// with a CA bundle (system bundle + our CA) and hosts files for running gpg in its own mount namespace.
/// </summary>
public sealed class WkdFixture : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private WkdFixture(TempDirectory directory, KeypostServer server, IPAddress address)
    {
        _directory = directory;
        Server = server;
        Address = address;
    }

    public KeypostServer Server { get; }

    public IPAddress Address { get; }

    public string CaBundle => _directory.Combine("ca-bundle.crt");

    public static async Task<WkdFixture> StartAsync(IPAddress address)
    {
        var directory = new TempDirectory("keypost-wkd");
        using var ca = LocalCertificateAuthority.Create("Keypost interop CA");
        using (var tls = ca.Issue(["jedi.test", "openpgpkey.jedi.test"]))
        {
            ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
        }

        var system = await File.ReadAllTextAsync("/etc/ssl/certs/ca-certificates.crt");
        await File.WriteAllTextAsync(directory.Combine("ca-bundle.crt"), system + "\n" + ca.Certificate.ExportCertificatePem() + "\n");
        var config = new KeypostConfig
        {
            DataDirectory = directory.Combine("data"),
            Domains = [new DomainConfig { Name = "jedi.test" }],
            Http = new HttpConfig { Listen = [$"{address}:443"], CertificateFile = directory.Combine("tls.crt"), KeyFile = directory.Combine("tls.key") },
        };
        var server = await KeypostServer.StartAsync(config, CancellationToken.None);
        return new WkdFixture(directory, server, address);
    }

    public Task<IReadOnlyList<Publication>> PublishAsync(byte[] certificate) =>
        new KeyPublisher(Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(certificate, null, CancellationToken.None);

    public async Task<string> WriteHostsAsync(string name, string contents)
    {
        var path = _directory.Combine(name);
        await File.WriteAllTextAsync(path, "127.0.0.1 localhost\n" + contents);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _directory.Dispose();
    }
}
