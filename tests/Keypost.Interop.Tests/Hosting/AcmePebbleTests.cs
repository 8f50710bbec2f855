using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Server.Tls;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>
/// Issue #17 item 4: Keypost's own ACME client against Debian's pebble (the ACME test CA), started here. The
/// server starts on a stand-in certificate, answers pebble's http-01 challenges on its challenge listener,
/// and serves the issued certificate on HTTPS, SMTP and IMAP without a restart; renewals are served the same
/// way and keep the key (so a TLSA 3 1 1 record stays true).
/// </summary>
public sealed class AcmePebbleTests : IAsyncLifetime
{
    private const string Domain = "acme.test";
    private static readonly IPAddress Address = IPAddress.Parse("127.0.0.42");

    private readonly TempDirectory _root = new("keypost-acme");
    private readonly LoopbackDnsServer _dns = new();
    private readonly LocalCertificateAuthority _ca = LocalCertificateAuthority.Create();
    private Process? _pebble;
    private readonly List<string> _pebbleOutput = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (_pebble is { HasExited: false })
        {
            _pebble.Kill();
            _pebble.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _pebble?.Dispose();
        _ca.Dispose();
        _dns.Dispose();
        _root.Dispose();
        return Task.CompletedTask;
    }

    [ToolFact("pebble")]
    public async Task A_certificate_is_issued_by_http_01_and_renewals_are_served_without_a_restart()
    {
        string[] names = ["mail." + Domain, Domain, "openpgpkey." + Domain, "mta-sts." + Domain];
        foreach (var name in names)
        {
            _dns.A(name, Address.ToString());
        }

        int acmePort = FreePort.Get(Address), managementPort = FreePort.Get(Address), challengePort = FreePort.Get(Address);
        var directory = await StartPebbleAsync(acmePort, managementPort, challengePort);

        var config = new KeypostConfig
        {
            DataDirectory = _root.Combine("data"),
            Hostname = names[0],
            Domains = [new DomainConfig { Name = Domain }],
            Http = new HttpConfig { Listen = [$"{Address}:0"], CertificateFile = _root.Combine("tls", "cert.pem"), KeyFile = _root.Combine("tls", "key.pem") },
            Mail = new MailConfig { SubmissionTls = [$"{Address}:0"], ImapTls = [$"{Address}:0"] },
            Acme = new AcmeConfig
            {
                DirectoryUrl = directory,
                Email = "admin@" + Domain,
                AcceptTermsOfService = true,
                ChallengeListen = [$"{Address}:{challengePort}"],
                DirectoryCaFile = _root.Combine("pebble-ca.pem"),
                CheckIntervalSeconds = 1,
                // Every check renews, so a second certificate follows the first while the test watches.
                RenewDaysBeforeExpiry = 100_000,
            },
        };
        await using var server = await KeypostServer.StartAsync(config, CancellationToken.None);
        var https = server.HttpsEndpoints.Single();
        var smtps = server.Mail!.SmtpEndpoints.Single();
        var imaps = server.Mail.ImapEndpoints.Single();

        // Whatever is served first (the stand-in or pebble's), the CA's certificate arrives without a restart.
        var issued = await WaitForAsync(https, c => c.Issuer.Contains("Pebble", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
        foreach (var name in names)
        {
            Assert.True(issued.MatchesHostname(name), $"{name} not in {issued.Subject}");
        }

        // Renewed: a new serial on HTTPS, and SMTP and IMAP serve it too, all from the running server.
        var renewed = await WaitForAsync(https, c => c.Issuer.Contains("Pebble", StringComparison.Ordinal) && c.SerialNumber != issued.SerialNumber, TimeSpan.FromMinutes(3));
        var onSmtp = await WaitForAsync(smtps, c => c.Issuer.Contains("Pebble", StringComparison.Ordinal) && c.SerialNumber != issued.SerialNumber, TimeSpan.FromMinutes(1));
        var onImap = await WaitForAsync(imaps, c => c.Issuer.Contains("Pebble", StringComparison.Ordinal) && c.SerialNumber != issued.SerialNumber, TimeSpan.FromMinutes(1));

        // One key throughout, the one in the key file: DANE's TLSA 3 1 1 stays true across renewals.
        using var key = TlsKeyFiles.LoadKey(config.Http.KeyFile!);
        var spki = key.ExportSubjectPublicKeyInfo();
        foreach (var certificate in new[] { issued, renewed, onSmtp, onImap })
        {
            Assert.Equal(Convert.ToHexString(spki), Convert.ToHexString(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        }

        // The chain verifies up to pebble's root for this run.
        var root = await PebbleRootAsync(managementPort);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var served = new X509Certificate2Collection();
        served.ImportFromPemFile(config.Http.CertificateFile!);
        chain.ChainPolicy.ExtraStore.AddRange(served);
        Assert.True(chain.Build(renewed), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    private async Task<string> StartPebbleAsync(int acmePort, int managementPort, int challengePort)
    {
        using (var tls = _ca.Issue(["localhost"], [Address]))
        {
            _ca.WriteServerPem(tls, _root.Combine("pebble.crt"), _root.Combine("pebble.key"));
        }

        _ca.WriteCertificatePem(_root.Combine("pebble-ca.pem"));
        var pebbleConfig = new JsonObject
        {
            ["pebble"] = new JsonObject
            {
                ["listenAddress"] = $"{Address}:{acmePort}",
                ["managementListenAddress"] = $"{Address}:{managementPort}",
                ["certificate"] = _root.Combine("pebble.crt"),
                ["privateKey"] = _root.Combine("pebble.key"),
                ["httpPort"] = challengePort,
                ["tlsPort"] = FreePort.Get(Address),
                ["ocspResponderURL"] = "",
                ["externalAccountBindingRequired"] = false,
            },
        };
        await File.WriteAllTextAsync(_root.Combine("pebble.json"), pebbleConfig.ToJsonString());
        var psi = new ProcessStartInfo(ExternalTool.Get("pebble"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-config", _root.Combine("pebble.json"), "-dnsserver", _dns.EndPoint.ToString()])
        {
            psi.ArgumentList.Add(argument);
        }

        // No artificial validation delays; pebble still refuses 5% of nonces at random, which the client retries.
        psi.Environment["PEBBLE_VA_NOSLEEP"] = "1";
        _pebble = Process.Start(psi)!;
        _pebble.OutputDataReceived += (_, e) => Keep(e.Data);
        _pebble.ErrorDataReceived += (_, e) => Keep(e.Data);
        _pebble.BeginOutputReadLine();
        _pebble.BeginErrorReadLine();

        var directory = $"https://{Address}:{acmePort}/dir";
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        for (var i = 0; i < 240; i++)
        {
            try
            {
                using var response = await http.GetAsync(directory);
                if (response.IsSuccessStatusCode)
                {
                    return directory;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.False(_pebble.HasExited, "pebble exited: " + PebbleOutput);
            await Task.Delay(250);
        }

        throw new TimeoutException("pebble did not start: " + PebbleOutput);
    }

    private string PebbleOutput
    {
        get
        {
            lock (_pebbleOutput)
            {
                return string.Join('\n', _pebbleOutput.TakeLast(40));
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_pebbleOutput)
            {
                _pebbleOutput.Add(line);
            }
        }
    }

    private static async Task<X509Certificate2> PebbleRootAsync(int managementPort)
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        var pem = await http.GetStringAsync($"https://{Address}:{managementPort}/roots/0");
        return X509Certificate2.CreateFromPem(pem);
    }

    private async Task<X509Certificate2> WaitForAsync(IPEndPoint endpoint, Func<X509Certificate2, bool> wanted, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        X509Certificate2? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await ServedCertificateAsync(endpoint);
            if (wanted(last))
            {
                return last;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{endpoint} still serves {last?.Subject} from {last?.Issuer}; pebble said:\n{PebbleOutput}");
    }

    // Implicit TLS on every endpoint used here (HTTPS, SMTP submissions, IMAPS): the certificate of one handshake.
    private static async Task<X509Certificate2> ServedCertificateAsync(IPEndPoint endpoint)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(endpoint, timeout.Token);
        X509Certificate2? seen = null;
        await using var tls = new SslStream(client.GetStream(), false, (_, certificate, _, _) =>
        {
            seen = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "mail." + Domain }, timeout.Token);
        return seen ?? throw new CryptographicException("no certificate");
    }
}
