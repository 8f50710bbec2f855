using System.Net;
using Keypost.Core.OpenPgp;
using Keypost.Core.Addresses;
using Keypost.Interop.Tests.GnuPG;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Wkd;

/// <summary>
/// Real GnuPG finds keys in a real `keypost serve` over HTTPS. dirmngr reads /etc/hosts and the system CA
/// bundle, so gpg runs under `unshare -m` with both bind-mounted: the machine itself is not touched.
/// </summary>
public sealed class GnuPGWkdTests
{
    [ToolFact("gpg", "gpgconf", "dirmngr", "unshare", "mount", NeedsRoot = true)]
    public async Task Gpg_finds_a_gpg_made_key_by_the_advanced_method_with_only_the_asked_uid()
    {
        await using var server = await WkdFixture.StartAsync(IPAddress.Parse("127.0.0.2"));
        await using var maker = new GpgHome();
        var fingerprint = await maker.QuickGenKeyAsync("Luke Skywalker <luke@jedi.test>", "ed25519", "cert,sign");
        await maker.GpgAsync("--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr", "2y");
        await maker.GpgAsync("--passphrase", "", "--quick-add-uid", fingerprint, "Luke <luke@farm.tatooine.test>");
        await maker.GpgAsync("--passphrase", "", "--quick-add-uid", fingerprint, "Luke Jedi <LUKE@JEDI.TEST>");
        var published = await server.PublishAsync(await maker.ExportAsync(fingerprint));
        Assert.Equal("luke@jedi.test", Assert.Single(published).Address.Canonical);

        // Only the advanced name resolves to the server; jedi.test itself points where nothing listens.
        var hosts = await server.WriteHostsAsync("hosts", "127.0.0.2 openpgpkey.jedi.test\n127.0.0.9 jedi.test\n");
        await using var leia = new GpgHome();
        var located = await LocateAsync(leia, hosts, server.CaBundle, "luke@jedi.test");
        Assert.True(located.ExitCode == 0, located.ToString());
        Assert.Contains(fingerprint, located.StandardError + located.StandardOutput, StringComparison.Ordinal);

        var listing = await leia.GpgAsync("--with-colons", "--list-keys", fingerprint);
        Assert.Equal(fingerprint, Colons.Fingerprints(listing.StandardOutput)[0]);
        var uids = Colons.Records(listing.StandardOutput, "uid").Select(u => u[9]).ToList();
        Assert.Equal(2, uids.Count);
        Assert.Contains("Luke Skywalker <luke@jedi.test>", uids);
        Assert.Contains("Luke Jedi <LUKE@JEDI.TEST>", uids);
        Assert.DoesNotContain(uids, u => u.Contains("tatooine", StringComparison.Ordinal));
    }

    [ToolFact("gpg", "gpgconf", "dirmngr", "unshare", "mount", NeedsRoot = true)]
    public async Task Gpg_falls_back_to_the_direct_method_for_a_keypost_key_and_an_rsa3072_key()
    {
        await using var server = await WkdFixture.StartAsync(IPAddress.Parse("127.0.0.3"));
        var luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));
        await server.PublishAsync(luke.Certificate.ToBinary());
        await using var maker = new GpgHome();
        var han = await maker.QuickGenKeyAsync("Han Solo <han@jedi.test>", "rsa3072", "cert,sign");
        await maker.GpgAsync("--passphrase", "", "--quick-add-key", han, "rsa3072", "encr", "2y");
        await server.PublishAsync(await maker.ExportAsync(han));

        // openpgpkey.jedi.test does not resolve: gpg must use https://jedi.test/.well-known/openpgpkey/hu/...
        var hosts = await server.WriteHostsAsync("hosts", "127.0.0.3 jedi.test\n");
        await using var leia = new GpgHome();
        foreach (var (address, fingerprint) in new[] { ("luke@jedi.test", luke.Fingerprint), ("han@jedi.test", han) })
        {
            var located = await LocateAsync(leia, hosts, server.CaBundle, address);
            Assert.True(located.ExitCode == 0, located.ToString());
            var listing = await leia.GpgAsync("--with-colons", "--check-signatures", address);
            Assert.Equal(fingerprint, Colons.Fingerprints(listing.StandardOutput)[0]);
            Assert.Contains(Colons.Records(listing.StandardOutput, "sig"), s => s[1] == "!");
        }
    }

    [ToolFact("gpg", "gpgconf", "dirmngr", "unshare", "mount", NeedsRoot = true)]
    public async Task Gpg_finds_nothing_for_an_unknown_address()
    {
        await using var server = await WkdFixture.StartAsync(IPAddress.Parse("127.0.0.4"));
        var hosts = await server.WriteHostsAsync("hosts", "127.0.0.4 openpgpkey.jedi.test jedi.test\n");
        await using var leia = new GpgHome();
        var located = await LocateAsync(leia, hosts, server.CaBundle, "vader@jedi.test");
        Assert.Contains("No data", located.StandardError, StringComparison.OrdinalIgnoreCase);
        var listing = await leia.TryGpgAsync("--list-keys", "vader@jedi.test");
        Assert.NotEqual(0, listing.ExitCode);
    }

    private static async Task<ProcessResult> LocateAsync(GpgHome home, string hosts, string caBundle, string address)
    {
        const string Script = """
            mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/ssl/certs/ca-certificates.crt || exit 97
            gpg --batch --no-tty --auto-key-locate clear,wkd,nodefault --locate-external-keys "$3"
            status=$?
            gpgconf --kill dirmngr
            exit $status
            """;
        return await ProcessRunner.RunAsync(
            ExternalTool.Get("unshare"),
            ["-m", "sh", "-c", Script, "sh", hosts, caBundle, address],
            environment: new Dictionary<string, string> { ["GNUPGHOME"] = home.Path },
            timeout: TimeSpan.FromSeconds(90));
    }
}
