using System.Net;
using Keypost.Cli.Demo;
using Keypost.LocalServe;
using Keypost.Mail.Dns;
using Keypost.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// A WKD server that misbehaves as the test says: real HTTPS (Kestrel, a certificate from a test CA) for
/// openpgpkey.evil.test and evil.test, found through a loopback DNS server, answering every request with
/// <c>handler</c>. Counts the requests it saw.
/// </summary>
public sealed class RogueWkdServer : IAsyncDisposable
{
    public const string Domain = "evil.test";

    private readonly LoopbackDnsServer dns = new();
    private readonly LocalCertificateAuthority ca = LocalCertificateAuthority.Create("Keypost rogue WKD CA");
    private WebApplication? app;
    private int requests;

    public int Port { get; private set; }

    public int Requests => Volatile.Read(ref requests);

    public LoopbackDnsServer Dns => dns;

    public static async Task<RogueWkdServer> StartAsync(RequestDelegate handler, CancellationToken cancellationToken)
    {
        var server = new RogueWkdServer();
        server.dns.A(Domain, "127.0.0.1").A("openpgpkey." + Domain, "127.0.0.1");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = server.ca.Issue([Domain, "openpgpkey." + Domain], [IPAddress.Loopback]);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, FreePort.Get(), l => l.UseHttps(certificate)));
        server.app = builder.Build();
        server.app.Run(context =>
        {
            Interlocked.Increment(ref server.requests);
            return handler(context);
        });
        await server.app.StartAsync(cancellationToken);
        server.Port = new Uri(server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return server;
    }

    /// <summary>An HTTPS client as the demo builds it: names from the test DNS, port 443 mapped to this server.</summary>
    public HttpClient CreateHttpClient() =>
        Keypost.Cli.ClientSide.WkdHttp.CreateHttpClient(new MailDnsResolver(new MailDnsResolverOptions { NameServers = [dns.EndPoint], UseCache = false }), Port, ca.Certificate);

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        ca.Dispose();
        dns.Dispose();
    }
}
