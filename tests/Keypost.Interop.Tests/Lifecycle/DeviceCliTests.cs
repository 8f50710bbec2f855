using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Interop.Tests.GnuPG;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Lifecycle;

/// <summary>
/// Issue #12 item 6 with the `keypost` command against two real domains: Luke's laptop (first device, primary key)
/// and phone (added with add-device, approved from the laptop) both read the same mail, from Leia's `keypost send`
/// and from a real gpg that found Luke's key by WKD; after remove-device, the phone cannot read what is sent next
/// while the laptop can. Every approval and removal is a new version of luke@jedi.test in the log.
/// </summary>
public sealed partial class DeviceCliTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly TempDirectory _root = new("keypost-devices-cli");
    private TestBed? _bed;
    private LocalDomain _jedi = null!;
    private LocalDomain _rebel = null!;
    private LocalPorts _ports = null!;

    [Fact]
    public async Task Both_devices_read_the_same_mail_and_a_removed_device_cannot_read_mail_sent_after_its_removal()
    {
        await StartAsync(IPAddress.Parse("127.0.0.61"), IPAddress.Parse("127.0.0.62"), wkdOn443: false);
        var (phoneId, versionBefore) = await EnrolPhoneAsync();

        // Leia's send reaches both devices.
        Assert.Equal(0, (await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "to both", "--body", "Both devices read this.")).ExitCode);
        var uid = await WaitForAsync("luke-laptop", "to both");
        foreach (var device in new[] { "luke-laptop", "luke-phone" })
        {
            // Listing looks the signer up (reading one message never does), as a user's client would.
            Assert.Equal(uid, await WaitForAsync(device, "to both"));
            var read = await Run(device, "read", uid);
            Assert.True(read.ExitCode == 0, device + ": " + read);
            Assert.Contains("Both devices read this.", read.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("signed by leia@rebel.test", read.StandardOutput, StringComparison.Ordinal);
        }

        // Removal: a new encryption subkey, a new version in the log, given only to the devices that remain.
        var removed = await Run("luke-laptop", "client", "remove-device", phoneId);
        Assert.True(removed.ExitCode == 0, removed.ToString());
        await SealAsync();
        await AssertMonitorOkAsync("luke-laptop", versionBefore + 2);
        var current = Certificate.Parse((await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!.Data);
        Assert.Empty(DeviceKeys.Roster(current, DateTimeOffset.UtcNow));
        Assert.Single(current.EncryptionSubkeys(DateTimeOffset.UtcNow));
        Assert.Contains(current.Subkeys, s => s.IsRevoked);
        var listed = await Run("luke-laptop", "client", "devices");
        Assert.Contains(phoneId + "\tremoved", listed.StandardOutput, StringComparison.Ordinal);

        // The removed phone gets nothing more and cannot read what Leia sends now; the laptop can.
        var sync = await Run("luke-phone", "client", "add-device");
        Assert.Equal(1, sync.ExitCode);
        Assert.Contains("was removed from luke@jedi.test", sync.StandardError, StringComparison.Ordinal);
        var after = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "after removal", "--body", "Only the laptop reads this.");
        Assert.True(after.ExitCode == 0, after.ToString());
        var afterUid = await WaitForAsync("luke-laptop", "after removal");
        var laptop = await Run("luke-laptop", "read", afterUid);
        Assert.True(laptop.ExitCode == 0, laptop.ToString());
        Assert.Contains("Only the laptop reads this.", laptop.StandardOutput, StringComparison.Ordinal);
        var phone = await Run("luke-phone", "read", afterUid);
        Assert.True(phone.ExitCode == 1, phone.ToString());
        Assert.DoesNotContain("Only the laptop reads this.", phone.StandardOutput + phone.StandardError, StringComparison.Ordinal);

        // Mail from before the removal stays readable on the laptop.
        Assert.Equal(0, (await Run("luke-laptop", "read", uid)).ExitCode);
    }

    [Fact]
    public async Task Device_commands_refuse_bad_input_with_one_line_and_change_nothing()
    {
        await StartAsync(IPAddress.Parse("127.0.0.63"), IPAddress.Parse("127.0.0.64"), wkdOn443: false);
        await _jedi.AddAccountAsync(EmailAddress.Parse("han@jedi.test"), "han-password", CancellationToken.None);
        await InitAsync("luke-laptop", "luke@jedi.test", _jedi);
        await InitAsync("han", "han@jedi.test", _jedi);
        var phoneId = await RequestAsync("luke-phone", "luke@jedi.test", "luke");
        var hanPhoneId = await RequestAsync("han-phone", "han@jedi.test", "han");
        var history = (await _jedi.Server.Store.HistoryAsync(Luke, CancellationToken.None)).Count;

        // An unknown request, another account's request, and approval by a profile without the primary key.
        var unknown = await Run("luke-laptop", "client", "approve-device", "0123456789ab");
        AssertOneLine(unknown, "no device request 0123456789ab for luke@jedi.test");
        var foreign = await Run("luke-laptop", "client", "approve-device", hanPhoneId);
        AssertOneLine(foreign, $"no device request {hanPhoneId} for luke@jedi.test");
        var byPhone = await Run("luke-phone", "client", "approve-device", phoneId);
        AssertOneLine(byPhone, "no secret key at");
        var byHanPhone = await Run("han-phone", "client", "remove-device", hanPhoneId, "--password-file", WritePassword("han"));
        AssertOneLine(byHanPhone, "only your first device can remove devices");
        var unknownRemoval = await Run("luke-laptop", "client", "remove-device", "nosuchdevice");
        AssertOneLine(unknownRemoval, "no device request nosuchdevice for luke@jedi.test");
        var wrongPassword = await KeypostCli.RunAsync(
            ["client", "devices", "--home", _root.Combine("luke-laptop-home")],
            environment: new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = "wrong", ["KEYPOST_PASSPHRASE"] = "luke-passphrase" });
        AssertOneLine(wrongPassword, "(401)");
        var again = await Run("luke-laptop", "client", "add-device");
        AssertOneLine(again, "it is your first device");

        Assert.Equal(history, (await _jedi.Server.Store.HistoryAsync(Luke, CancellationToken.None)).Count);
        var pending = await Run("luke-phone", "client", "add-device");
        Assert.True(pending.ExitCode == 0, pending.ToString());
        Assert.Contains("waiting for approval", pending.StandardOutput, StringComparison.Ordinal);

        // Once approved, a device can read but not approve: it holds no primary key.
        Assert.Equal(0, (await Run("luke-laptop", "client", "approve-device", phoneId)).ExitCode);
        await SealAsync();
        Assert.Equal(0, (await Run("luke-phone", "client", "add-device")).ExitCode);
        var approvedPhone = await Run("luke-phone", "client", "approve-device", phoneId);
        AssertOneLine(approvedPhone, "does not hold the primary key of luke@jedi.test");
    }

    [ToolFact("gpg", "gpgconf", "dirmngr", "unshare", "mount", "curl", NeedsRoot = true)]
    public async Task Gpg_finds_the_key_by_wkd_and_both_devices_decrypt_what_it_encrypts_until_one_is_removed()
    {
        var jedi = IPAddress.Parse("127.0.0.65");
        await StartAsync(jedi, IPAddress.Parse("127.0.0.66"), wkdOn443: true);
        var (phoneId, _) = await EnrolPhoneAsync();
        var hosts = _root.Combine("hosts");
        await File.WriteAllTextAsync(hosts, $"127.0.0.1 localhost\n{jedi} openpgpkey.jedi.test jedi.test\n");
        var bundle = _root.Combine("ca-bundle.crt");
        await File.WriteAllTextAsync(bundle, await File.ReadAllTextAsync("/etc/ssl/certs/ca-certificates.crt") + "\n" + Bed.Ca.Certificate.ExportCertificatePem() + "\n");
        await using var sender = new GpgHome();

        var first = await GpgSendAsync(sender, hosts, bundle, "gpg to both", "Encrypted by gpg, read on both devices.");
        var uid = await WaitForAsync("luke-laptop", first);
        foreach (var device in new[] { "luke-laptop", "luke-phone" })
        {
            var read = await Run(device, "read", uid);
            Assert.True(read.ExitCode == 0, device + ": " + read);
            Assert.Contains("Encrypted by gpg, read on both devices.", read.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Equal(0, (await Run("luke-laptop", "client", "remove-device", phoneId)).ExitCode);
        await SealAsync();
        // gpg refreshes the key by WKD: it takes the new subkey and the old one's revocation.
        var second = await GpgSendAsync(sender, hosts, bundle, "gpg after removal", "Only the laptop reads this one.");
        var afterUid = await WaitForAsync("luke-laptop", second);
        var laptop = await Run("luke-laptop", "read", afterUid);
        Assert.True(laptop.ExitCode == 0, laptop.ToString());
        Assert.Contains("Only the laptop reads this one.", laptop.StandardOutput, StringComparison.Ordinal);
        var phone = await Run("luke-phone", "read", afterUid);
        Assert.True(phone.ExitCode == 1, phone.ToString());
        Assert.DoesNotContain("Only the laptop reads this one.", phone.StandardOutput + phone.StandardError, StringComparison.Ordinal);
    }

    // Each test starts its own domains (one of them on port 443 for gpg), so there is nothing to start here.
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_bed is not null)
        {
            await _bed.DisposeAsync();
        }

        _root.Dispose();
    }

    private TestBed Bed => _bed ?? throw new InvalidOperationException("the domains are not started");

    private async Task StartAsync(IPAddress jedi, IPAddress rebel, bool wkdOn443)
    {
        _bed = TestBed.Create("keypost-devices-cli-bed");
        // gpg's dirmngr always connects to 443 (docs: FIELD-NOTES); the others use free high ports.
        (_jedi, _rebel, _ports) = await _bed.StartTwoDomainsAsync(jedi.ToString(), rebel.ToString(), wkdOn443 ? 443 : null);
        await _jedi.AddAccountAsync(Luke, "luke-password", CancellationToken.None);
        await _rebel.AddAccountAsync(EmailAddress.Parse("leia@rebel.test"), "leia-password", CancellationToken.None);
    }

    // Luke's laptop publishes his key, Leia pins it, the phone asks to join and the laptop approves it: returns the
    // phone's id and the log version before the approval (the approval is the next version).
    private async Task<(string PhoneId, int Version)> EnrolPhoneAsync()
    {
        await InitAsync("luke-laptop", "luke@jedi.test", _jedi);
        await InitAsync("leia", "leia@rebel.test", _rebel);
        await SealAsync();
        Assert.Equal(0, (await Run("leia", "lookup", "luke@jedi.test")).ExitCode);
        await AssertMonitorOkAsync("luke-laptop", 1);

        var phoneId = await RequestAsync("luke-phone", "luke@jedi.test", "luke");
        var approved = await Run("luke-laptop", "client", "approve-device", phoneId);
        Assert.True(approved.ExitCode == 0, approved.ToString());
        await SealAsync();
        await AssertMonitorOkAsync("luke-laptop", 2);
        var published = Certificate.Parse((await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!.Data);
        Assert.Single(DeviceKeys.Roster(published, DateTimeOffset.UtcNow), e => e.StartsWith(phoneId + " ", StringComparison.Ordinal));

        var installed = await Run("luke-phone", "client", "add-device");
        Assert.True(installed.ExitCode == 0, installed.ToString());
        Assert.Contains($"key {published.Fingerprint} installed", installed.StandardOutput, StringComparison.Ordinal);
        // The phone's monitor sees the address's key as its own, and the lookup proof names the new version.
        await AssertMonitorOkAsync("luke-phone", 2);
        var lookup = await Run("leia", "lookup", "luke@jedi.test");
        Assert.Contains("version 2", lookup.StandardOutput, StringComparison.Ordinal);
        var listed = await Run("luke-laptop", "client", "devices");
        Assert.Contains(phoneId + "\tapproved\tphone", listed.StandardOutput, StringComparison.Ordinal);
        return (phoneId, 1);
    }

    private async Task<string> RequestAsync(string who, string address, string account)
    {
        var domain = _jedi;
        var requested = await KeypostCli.RunAsync(
            [
                "client", "add-device", "--home", _root.Combine(who + "-home"), "--address", address, "--server", domain.Address.ToString(),
                "--submission-port", _ports.Submission.ToString(CultureInfo.InvariantCulture),
                "--imap-port", _ports.Imaps.ToString(CultureInfo.InvariantCulture),
                "--ca", Bed.CaFile, "--dns", Bed.Dns.EndPoint.ToString(),
                "--https-port", _ports.Https.ToString(CultureInfo.InvariantCulture), "--name", "phone",
            ],
            environment: new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = account + "-password", ["KEYPOST_PASSPHRASE"] = who + "-passphrase" });
        Assert.True(requested.ExitCode == 0, requested.ToString());
        var match = RequestLine().Match(requested.StandardOutput);
        Assert.True(match.Success, requested.ToString());
        return match.Groups[1].Value;
    }

    // gpg finds Luke's key by WKD (refreshing it), encrypts a PGP/MIME body to the address, and the message goes in
    // through Luke's own submission port with curl. Returns the outer subject to look for.
    private async Task<string> GpgSendAsync(GpgHome sender, string hosts, string bundle, string subject, string text)
    {
        var located = await GpgWksClientTests.InNamespaceAsync(
            sender, hosts, bundle, "gpg", "--batch", "--no-tty", "--auto-key-locate", "clear,wkd,nodefault", "--locate-external-keys", "luke@jedi.test");
        Assert.True(located.ExitCode == 0, located.ToString());
        var plain = sender.PathOf(subject.Replace(' ', '-') + ".txt");
        await File.WriteAllTextAsync(plain, $"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n");
        await sender.GpgAsync("--trust-model", "always", "--armor", "--output", plain + ".asc", "--recipient", "luke@jedi.test", "--encrypt", plain);
        var armored = await File.ReadAllTextAsync(plain + ".asc");
        // RFC 3156 §4: multipart/encrypted, the control part, then the OpenPGP message.
        var mail = string.Join("\r\n",
            "From: luke@jedi.test", "To: luke@jedi.test", "Subject: " + subject, "MIME-Version: 1.0",
            "Message-ID: <" + Guid.NewGuid().ToString("N") + "@jedi.test>",
            "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"kp\"", "",
            "--kp", "Content-Type: application/pgp-encrypted", "", "Version: 1", "",
            "--kp", "Content-Type: application/octet-stream", "", armored.ReplaceLineEndings("\r\n").TrimEnd(), "--kp--", "");
        var file = plain + ".eml";
        await File.WriteAllTextAsync(file, mail);
        var port = _ports.Submission.ToString(CultureInfo.InvariantCulture);
        var sent = await ProcessRunner.RunAsync(
            ExternalTool.Get("curl"),
            [
                "-sS", "--ssl-reqd", "--cacert", Bed.CaFile, "--resolve", $"mail.jedi.test:{port}:{_jedi.Address}",
                $"smtp://mail.jedi.test:{port}", "--user", "luke@jedi.test:luke-password",
                "--mail-from", "luke@jedi.test", "--mail-rcpt", "luke@jedi.test", "--upload-file", file,
            ],
            timeout: TimeSpan.FromSeconds(90));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        return subject;
    }

    // Delivery runs in the background: wait (generously) until the laptop's inbox lists the subject; returns its UID.
    private async Task<string> WaitForAsync(string who, string subject)
    {
        ProcessResult inbox = null!;
        for (var i = 0; i < 90; i++)
        {
            inbox = await Run(who, "inbox");
            var line = inbox.StandardOutput.Split('\n').FirstOrDefault(l => l.Contains(subject, StringComparison.Ordinal));
            if (line is not null)
            {
                return line.Split('\t')[0].Trim();
            }

            await Task.Delay(1000);
        }

        Assert.Fail($"'{subject}' never reached {who}'s inbox: {inbox}");
        return "";
    }

    private static void AssertOneLine(ProcessResult result, string expected)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        var error = result.StandardError.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    private async Task AssertMonitorOkAsync(string who, int version)
    {
        var monitor = await Run(who, "monitor");
        Assert.True(monitor.ExitCode == 0, monitor.ToString());
        Assert.Contains($"is version {version} with your key", monitor.StandardOutput, StringComparison.Ordinal);
    }

    private Task SealAsync() => _jedi.Server.Transparency!.SequenceAsync(CancellationToken.None);

    private string WritePassword(string account)
    {
        var path = _root.Combine(account + "-password.txt");
        File.WriteAllText(path, account + "-password\n");
        return path;
    }

    private async Task InitAsync(string who, string address, LocalDomain domain)
    {
        var init = await KeypostCli.RunAsync(
            [
                "client", "init", "--home", _root.Combine(who + "-home"), "--address", address, "--server", domain.Address.ToString(),
                "--submission-port", _ports.Submission.ToString(CultureInfo.InvariantCulture),
                "--imap-port", _ports.Imaps.ToString(CultureInfo.InvariantCulture),
                "--ca", Bed.CaFile, "--dns", Bed.Dns.EndPoint.ToString(),
                "--https-port", _ports.Https.ToString(CultureInfo.InvariantCulture),
            ],
            environment: new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = Account(who) + "-password", ["KEYPOST_PASSPHRASE"] = who + "-passphrase" });
        Assert.True(init.ExitCode == 0, init.ToString());
    }

    // Homes are named "luke-laptop", "luke-phone", "han-phone": the account is the part before the dash.
    private static string Account(string who) => who.Split('-')[0];

    private Task<ProcessResult> Run(string who, params string[] arguments) =>
        KeypostCli.RunAsync(
            [.. arguments, "--home", _root.Combine(who + "-home")],
            environment: new Dictionary<string, string>
            {
                ["KEYPOST_PASSWORD"] = Account(who) + "-password",
                ["KEYPOST_PASSPHRASE"] = who + "-passphrase",
            });

    [GeneratedRegex(@"device request ([0-9a-f]{12}) filed")]
    private static partial Regex RequestLine();
}
