using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Keypost.Interop.Tests.Transport;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Cli;

/// <summary>
/// Issue #17: `keypost quickstart` writes a configuration for a real domain on the standard ports; `keypost serve`
/// runs exactly that file with the ports moved to loopback by `--listen-override` (docs/operations.md), and the
/// account it made sends a message that is delivered and read with the key it made. `keypost check-dns` judges
/// the records quickstart printed once they are served by a DNS server.
/// </summary>
public sealed partial class QuickstartTests : IDisposable
{
    private const string Domain = "quick.test";
    private const string Host = "mail.quick.test";
    private static readonly IPAddress Address = IPAddress.Parse("127.0.0.40");

    private readonly TempDirectory _root = new("keypost-quickstart");
    private readonly LoopbackDnsServer _dns = new();
    private readonly LocalCertificateAuthority _ca = LocalCertificateAuthority.Create();

    public void Dispose()
    {
        _ca.Dispose();
        _dns.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Quickstart_writes_a_domain_that_serves_and_carries_a_message_to_its_reader()
    {
        var site = _root.Combine("site");
        using (var tls = _ca.Issue([Host, Domain, "openpgpkey." + Domain, "mta-sts." + Domain], [Address]))
        {
            _ca.WriteServerPem(tls, _root.Combine("tls.crt"), _root.Combine("tls.key"));
        }

        _ca.WriteCertificatePem(_root.Combine("ca.pem"));
        await File.WriteAllTextAsync(_root.Combine("password"), "luke-password\n");
        await File.WriteAllTextAsync(_root.Combine("passphrase"), "luke-passphrase\n");

        var quickstart = await KeypostCli.RunAsync(
            ["quickstart", "luke@" + Domain, "--dir", site, "--certificate", _root.Combine("tls.crt"), "--key", _root.Combine("tls.key"),
             "--password-file", _root.Combine("password"), "--passphrase-file", _root.Combine("passphrase")]);
        Assert.True(quickstart.ExitCode == 0, quickstart.ToString());
        var printed = quickstart.StandardOutput;

        // Every record the issue names, and the unit.
        Assert.Matches($@"(?m)^{Domain}\. IN MX 10 {Host}\.$", printed);
        Assert.Contains($"{Domain}. IN TXT \"v=spf1 mx -all\"", printed, StringComparison.Ordinal);
        Assert.Contains($"kp-ed._domainkey.{Domain}. IN TXT \"v=DKIM1; k=ed25519; p=", printed, StringComparison.Ordinal);
        Assert.Contains($"kp-rsa._domainkey.{Domain}. IN TXT \"v=DKIM1; k=rsa; p=", printed, StringComparison.Ordinal);
        Assert.Contains($"_dmarc.{Domain}. IN TXT \"v=DMARC1; p=reject", printed, StringComparison.Ordinal);
        Assert.Contains($"openpgpkey.{Domain}. IN CNAME {Host}.", printed, StringComparison.Ordinal);
        Assert.Contains($"_mta-sts.{Domain}. IN TXT \"v=STSv1; id=", printed, StringComparison.Ordinal);
        Assert.Contains($"_smtp._tls.{Domain}. IN TXT \"v=TLSRPTv1; rua=mailto:luke@{Domain}\"", printed, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^_25\._tcp\.{Host}\. IN TLSA 3 1 1 [0-9a-f]{{64}}$", printed);
        Assert.Contains($"ExecStart=", printed, StringComparison.Ordinal);
        Assert.Contains($"serve --config {site}/keypost.json", printed, StringComparison.Ordinal);
        Assert.Contains($"keypost check-dns {Domain}", printed, StringComparison.Ordinal);

        // The configuration is for the real thing: every listener on its standard port.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(site, "keypost.json")))!;
        Assert.Equal("0.0.0.0:443", (string?)config["http"]!["listen"]![0]);
        Assert.Equal("0.0.0.0:25", (string?)config["mail"]!["inbound"]![0]);
        Assert.Equal("0.0.0.0:587", (string?)config["mail"]!["submission"]![0]);
        Assert.Equal("0.0.0.0:465", (string?)config["mail"]!["submissionTls"]![0]);
        Assert.Equal("0.0.0.0:143", (string?)config["mail"]!["imap"]![0]);
        Assert.Equal("0.0.0.0:993", (string?)config["mail"]!["imapTls"]![0]);

        // Nothing published yet: check-dns names what is missing and fails.
        var before = await KeypostCli.RunAsync(["check-dns", Domain, "--config", Path.Combine(site, "keypost.json"), "--dns", _dns.EndPoint.ToString()]);
        Assert.True(before.ExitCode == 1, before.ToString());
        Assert.Contains($"MISSING   MX    {Domain}", before.StandardOutput, StringComparison.Ordinal);

        // Publish what quickstart printed, as an operator pastes it into a zone; then every record checks out.
        Publish(printed);
        var after = await KeypostCli.RunAsync(["check-dns", Domain, "--config", Path.Combine(site, "keypost.json"), "--dns", _dns.EndPoint.ToString(), "--public-ip", Address.ToString()]);
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Contains("all 11 records of quick.test are published", after.StandardOutput, StringComparison.Ordinal);

        // Serve exactly that file, its standard ports moved to free loopback ports.
        int https = FreePort.Get(Address), smtp = FreePort.Get(Address), submission = FreePort.Get(Address), submissionTls = FreePort.Get(Address);
        int imap = FreePort.Get(Address), imaps = FreePort.Get(Address), metrics = FreePort.Get(Address);
        string[] overrides =
        [
            "--listen-override", $"443={Address}:{https}", $"25={Address}:{smtp}", $"587={Address}:{submission}", $"465={Address}:{submissionTls}",
            $"143={Address}:{imap}", $"993={Address}:{imaps}", $"9480={Address}:{metrics}",
        ];
        await using var serve = new KeypostServeProcess(Path.Combine(site, "keypost.json"), new IPEndPoint(Address, smtp), overrides);
        await serve.StartAsync(TimeSpan.FromSeconds(90));

        // The account's client profile, pointed at the test bed (server, ports, CA, resolver): what a user's
        // machine would hold after copying it.
        var home = Path.Combine(site, "client");
        var profile = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(home, "profile.json")))!;
        Assert.Equal(Host, (string?)profile["server"]);
        profile["server"] = Address.ToString();
        profile["submissionPort"] = submission;
        profile["imapPort"] = imaps;
        profile["httpsPort"] = https;
        profile["trustedCaFile"] = _root.Combine("ca.pem");
        profile["dnsServers"] = new JsonArray(_dns.EndPoint.ToString());
        await File.WriteAllTextAsync(Path.Combine(home, "profile.json"), profile.ToJsonString());

        var environment = new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = "luke-password", ["KEYPOST_PASSPHRASE"] = "luke-passphrase" };
        var sent = await KeypostCli.RunAsync(
            ["send", "--home", home, "--to", "luke@" + Domain, "--subject", "First light", "--body", "The quickstart domain works."], environment: environment);
        Assert.True(sent.ExitCode == 0, sent + "\n" + serve.RecentOutput);
        Assert.Contains("sent encrypted and signed", sent.StandardOutput, StringComparison.Ordinal);

        ProcessResult inbox = null!;
        for (var i = 0; i < 120; i++)
        {
            inbox = await KeypostCli.RunAsync(["inbox", "--home", home], environment: environment);
            if (inbox.StandardOutput.Contains("First light", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.True(inbox.StandardOutput.Contains("First light", StringComparison.Ordinal), inbox + "\n" + serve.RecentOutput);
        var uid = inbox.StandardOutput.Split('\t')[0].Trim();
        var read = await KeypostCli.RunAsync(["read", uid, "--home", home], environment: environment);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("Subject: First light", read.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("The quickstart domain works.", read.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("signed by luke@" + Domain, read.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quickstart_refuses_to_overwrite_a_configuration()
    {
        var site = _root.Combine("taken");
        System.IO.Directory.CreateDirectory(site);
        await File.WriteAllTextAsync(Path.Combine(site, "keypost.json"), "{}");
        var run = await KeypostCli.RunAsync(["quickstart", "luke@" + Domain, "--dir", site]);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("exists already", run.StandardError, StringComparison.Ordinal);
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(site, "keypost.json")));
    }

    // Zone-file lines as quickstart prints them; a CNAME is served as the target's address (the loopback
    // server does not chase aliases, a recursive resolver would).
    private void Publish(string zone)
    {
        foreach (Match line in ZoneLine().Matches(zone))
        {
            var name = line.Groups["name"].Value;
            var data = line.Groups["data"].Value.Trim();
            switch (line.Groups["type"].Value)
            {
                case "MX":
                    var mx = data.Split(' ');
                    _dns.Mx(name, int.Parse(mx[0], CultureInfo.InvariantCulture), mx[1].TrimEnd('.'));
                    break;
                case "TXT":
                    _dns.Txt(name, string.Concat(Quoted().Matches(data).Select(m => m.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal))));
                    break;
                case "CNAME":
                    _dns.A(name, Address.ToString());
                    break;
                case "TLSA":
                    var tlsa = data.Split(' ');
                    _dns.Record(new TlsaRecord(
                        DomainName.Parse(name), 60, (TlsaRecord.TlsaCertificateUsage)byte.Parse(tlsa[0], CultureInfo.InvariantCulture),
                        (TlsaRecord.TlsaSelector)byte.Parse(tlsa[1], CultureInfo.InvariantCulture), (TlsaRecord.TlsaMatchingType)byte.Parse(tlsa[2], CultureInfo.InvariantCulture),
                        Convert.FromHexString(tlsa[3])));
                    break;
                default:
                    throw new InvalidOperationException("unexpected record " + line.Value);
            }
        }

        _dns.A(Host, Address.ToString());
    }

    [GeneratedRegex(@"(?m)^(?<name>[^;#\s][^\s]*)\. IN (?<type>[A-Z]+) (?<data>.+)$")]
    private static partial Regex ZoneLine();

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Quoted();
}
