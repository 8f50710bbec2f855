using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Text;
using Keypost.Core.Wkd;
using Keypost.Directory.Publishing;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Server.Tls;

namespace Keypost.Cli.Demo;

/// <summary>
/// Luke's domain publishes his key; Leia's software finds it by WKD over HTTPS and checks it is his. Everything
/// runs on loopback with a throw-away CA; the exit code is 0 only if every step did what it should.
/// </summary>
public sealed class DemoRunner(TextWriter output, bool keep)
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = System.IO.Directory.CreateTempSubdirectory("keypost-demo-").FullName;
        try
        {
            return await RunInAsync(root, cancellationToken);
        }
        finally
        {
            if (keep)
            {
                await output.WriteLineAsync($"data kept in {root}");
            }
            else
            {
                System.IO.Directory.Delete(root, recursive: true);
            }
        }
    }

    private async Task<int> RunInAsync(string root, CancellationToken cancellationToken)
    {
        var failures = 0;

        using var ca = LocalCertificateAuthority.Create("Keypost demo CA");
        using (var tls = ca.Issue(["jedi.test", "openpgpkey.jedi.test"]))
        {
            ca.WriteServerPem(tls, Path.Combine(root, "jedi.crt"), Path.Combine(root, "jedi.key"));
        }

        var config = new KeypostConfig
        {
            DataDirectory = Path.Combine(root, "jedi.test"),
            Hostname = "mail.jedi.test",
            Domains = [new DomainConfig { Name = "jedi.test" }],
            Http = new HttpConfig { Listen = ["127.0.0.1:0"], CertificateFile = Path.Combine(root, "jedi.crt"), KeyFile = Path.Combine(root, "jedi.key") },
        };
        await using var jedi = await KeypostServer.StartAsync(config, cancellationToken);
        var endpoint = jedi.HttpsEndpoints[0];
        await Step($"jedi.test directory serving WKD on https://{endpoint} (TLS from a throw-away local CA)");

        var lukeKey = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker" });
        await Step($"Luke generated his key {lukeKey.Fingerprint} ({lukeKey.Certificate.PrimaryAlgorithmName})");

        var publisher = new KeyPublisher(jedi.Store, new CertificatePolicy(), TimeProvider.System);
        await publisher.PublishAsync(lukeKey.Certificate.ToBinary(), null, cancellationToken);
        await Step($"jedi.test published it at {WkdUrls.Advanced(Luke)}");

        using var http = LoopbackHttpClient(endpoint, ca.Certificate);
        var found = await new WkdClient(http).LookupAsync(Luke, cancellationToken);
        if (found.Certificate is null)
        {
            await Fail("Leia's lookup found no key for luke@jedi.test");
            return 1;
        }

        await Step($"Leia's software looked up {Luke} by the {found.Method.ToString().ToLowerInvariant()} WKD method and got {found.Certificate.Fingerprint}");
        foreach (var uid in found.Certificate.UserIds)
        {
            await output.WriteLineAsync($"      user ID: {DisplayText.Escape(uid.Text)}");
        }

        if (found.Certificate.Fingerprint == lukeKey.Fingerprint)
        {
            await Step("fingerprints match: the key Leia found is the key Luke made");
        }
        else
        {
            failures++;
            await Fail($"fingerprint mismatch: published {lukeKey.Fingerprint}, found {found.Certificate.Fingerprint}");
        }

        var stranger = await new WkdClient(http).LookupAsync(EmailAddress.Parse("vader@jedi.test"), cancellationToken);
        if (stranger.Certificate is null)
        {
            await Step("a lookup for vader@jedi.test (no such key) gets the directory's uniform 404");
        }
        else
        {
            failures++;
            await Fail("a key was returned for an address that has none");
        }

        await output.WriteLineAsync(failures == 0 ? "demo: every step succeeded" : $"demo: {failures} step(s) FAILED");
        return failures == 0 ? 0 : 1;
    }

    private Task Step(string text) => output.WriteLineAsync("  ok  " + text);

    private Task Fail(string text) => output.WriteLineAsync("  FAIL " + text);

    // The demo's names are not in DNS: every connection goes to the demo server, and only the demo CA is trusted.
    private static HttpClient LoopbackHttpClient(IPEndPoint endpoint, X509Certificate2 ca) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        })
        { Timeout = TimeSpan.FromSeconds(30) };
}
