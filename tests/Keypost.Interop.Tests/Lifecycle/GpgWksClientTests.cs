using System.Net;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Accounts;
using Keypost.Directory.Monitoring;
using Keypost.Directory.Publishing;
using Keypost.Interop.Tests.GnuPG;
using Keypost.Interop.Tests.Postfix;
using Keypost.LocalServe;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Lifecycle;

/// <summary>
/// The Web Key Service against the real gpg-wks-client: --create makes the request (finding the submission address
/// and its key by WKD), curl sends it through our SMTP, the confirmation request lands in the user's Maildir,
/// --receive answers it (encrypted to the submission key found by WKD), curl sends the response, and a fresh gpg
/// then finds the key by WKD. gpg and gpg-wks-client run under `unshare -m` with our hosts file and CA bundle.
/// </summary>
public sealed class GpgWksClientTests
{
    private const string Submission = "key-submission@jedi.test";

    [ToolFact("gpg", "gpgconf", "dirmngr", "unshare", "mount", "curl", "gpg-wks-client", NeedsRoot = true)]
    public async Task Gpg_wks_client_publishes_a_key_through_our_smtp_and_gpg_then_finds_it_by_wkd()
    {
        using var directory = new TempDirectory("keypost-wks");
        await using var server = await StartAsync(directory, IPAddress.Parse("127.0.0.31"));
        await server.Store.SetPasswordHashAsync(EmailAddress.Parse("luke@jedi.test"), new PasswordHasher().Hash("pw"), CancellationToken.None);
        var smtp = server.Mail!.SmtpEndpoints[0];
        var hosts = directory.Combine("hosts");
        await File.WriteAllTextAsync(hosts, "127.0.0.1 localhost\n127.0.0.31 openpgpkey.jedi.test jedi.test\n");
        var bundle = directory.Combine("ca-bundle.crt");

        // An older key of Luke's, enrolled by the operator (version 1), so the WKS publication is a change (version 2).
        var operatorPublisher = new KeyPublisher(server.Store, new CertificatePolicy(), TimeProvider.System);
        var older = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));
        await operatorPublisher.PublishAsync(older.Certificate.ToBinary(), null, CancellationToken.None);

        await using var luke = new GpgHome();
        var fingerprint = await luke.QuickGenKeyAsync("Luke Skywalker <luke@jedi.test>", "future-default", "default");

        // 1. The publication request, encrypted to the submission key that gpg-wks-client found by WKD.
        var request = luke.PathOf("request.eml");
        var created = await InNamespaceAsync(luke, hosts, bundle, ExternalTool.Get("gpg-wks-client"), "--output", request, "--create", fingerprint, "luke@jedi.test");
        Assert.True(created.ExitCode == 0, created.ToString());
        var requestText = await File.ReadAllTextAsync(request);
        Assert.Contains("multipart/encrypted", requestText, StringComparison.Ordinal);
        Assert.Contains("To: " + Submission, requestText, StringComparison.Ordinal);

        var sent = await CurlSendAsync(smtp, "luke@jedi.test", Submission, request);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Equal(older.Fingerprint, (await server.Store.FindCurrentAsync(EmailAddress.Parse("luke@jedi.test"), CancellationToken.None))!.Fingerprint);

        // 2. The confirmation request, delivered to Luke's own mailbox.
        var inbox = Path.Combine(new MaildirStore(Path.Combine(directory.Combine("data"), "mail")).GetMaildirPath(EmailAddress.Parse("luke@jedi.test")), "new");
        var confirmation = await MaildirWait.FirstMessageAsync(inbox, TimeSpan.FromSeconds(60));
        Assert.NotNull(confirmation);
        Assert.Contains("application/vnd.gnupg.wks", confirmation, StringComparison.Ordinal);
        var confirmationFile = luke.PathOf("confirmation.eml");
        await File.WriteAllTextAsync(confirmationFile, confirmation);

        // 3. gpg-wks-client decrypts it with Luke's key and writes the response.
        var response = luke.PathOf("response.eml");
        var received = await InNamespaceAsync(luke, hosts, bundle, "sh", "-c", $"\"{ExternalTool.Get("gpg-wks-client")}\" --output \"{response}\" --receive < \"{confirmationFile}\"");
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Contains("Key publication confirmation", await File.ReadAllTextAsync(response), StringComparison.Ordinal);

        var answered = await CurlSendAsync(smtp, "luke@jedi.test", Submission, response);
        Assert.True(answered.ExitCode == 0, answered.ToString());
        var current = await server.Store.FindCurrentAsync(EmailAddress.Parse("luke@jedi.test"), CancellationToken.None);
        Assert.NotNull(current);
        Assert.Equal(fingerprint, current.Fingerprint);

        // 4. The same response again: the nonce is spent, nothing changes.
        var replayed = await CurlSendAsync(smtp, "luke@jedi.test", Submission, response);
        Assert.NotEqual(0, replayed.ExitCode);
        Assert.Contains("already used", replayed.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, (await server.Store.HistoryAsync(EmailAddress.Parse("luke@jedi.test"), CancellationToken.None)).Count);

        // Issue #12: the server's owner monitor takes the confirmed publication as Luke's own change (no alert).
        await server.Transparency.SequenceAsync(CancellationToken.None);
        var monitor = new BindingHistoryMonitor(server.Store.Database, BindingHistoryMonitor.DefaultRules, TimeProvider.System);
        Assert.Empty(await ServerMonitorAlertsAsync(monitor));

        // 5. Anyone's gpg now finds the key by WKD.
        await using var leia = new GpgHome();
        var located = await InNamespaceAsync(leia, hosts, bundle, "gpg", "--batch", "--no-tty", "--auto-key-locate", "clear,wkd,nodefault", "--locate-external-keys", "luke@jedi.test");
        Assert.True(located.ExitCode == 0, located.ToString());
        var listing = await leia.GpgAsync("--with-colons", "--list-keys", "luke@jedi.test");
        Assert.Equal(fingerprint, Colons.Fingerprints(listing.StandardOutput)[0]);

        // 6. A key the operator publishes for Luke (`keypost directory publish`'s path) is still an alert.
        var forged = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));
        await operatorPublisher.PublishAsync(forged.Certificate.ToBinary(), null, CancellationToken.None);
        await server.Transparency.SequenceAsync(CancellationToken.None);
        Assert.Equal(forged.Fingerprint, Assert.Single(await ServerMonitorAlertsAsync(monitor)).Fingerprint);
    }

    /// <summary>One run of the server's owner monitor as the scheduled service makes it: judge, then keep what was judged.</summary>
    internal static async Task<IReadOnlyList<BindingAlert>> ServerMonitorAlertsAsync(BindingHistoryMonitor monitor)
    {
        var alerts = new List<BindingAlert>();
        foreach (var check in await monitor.CheckAsync(CancellationToken.None))
        {
            alerts.AddRange(check.Alerts);
            await monitor.CommitAsync(check, CancellationToken.None);
        }

        return alerts;
    }

    internal static async Task<KeypostServer> StartAsync(TempDirectory directory, IPAddress address)
    {
        using var ca = LocalCertificateAuthority.Create("Keypost WKS CA");
        using (var tls = ca.Issue(["jedi.test", "openpgpkey.jedi.test", "mx.jedi.test"]))
        {
            ca.WriteServerPem(tls, directory.Combine("tls.crt"), directory.Combine("tls.key"));
        }

        var system = await File.ReadAllTextAsync("/etc/ssl/certs/ca-certificates.crt");
        await File.WriteAllTextAsync(directory.Combine("ca-bundle.crt"), system + "\n" + ca.Certificate.ExportCertificatePem() + "\n");
        var config = new KeypostConfig
        {
            DataDirectory = directory.Combine("data"),
            Hostname = "mx.jedi.test",
            Domains = [new DomainConfig { Name = "jedi.test", SubmissionAddress = Submission }],
            Http = new HttpConfig { Listen = [$"{address}:443"], CertificateFile = directory.Combine("tls.crt"), KeyFile = directory.Combine("tls.key") },
            Mail = new MailConfig { Inbound = ["127.0.0.1:0"] },
        };
        return await KeypostServer.StartAsync(config, CancellationToken.None);
    }

    private static Task<ProcessResult> CurlSendAsync(IPEndPoint smtp, string from, string to, string file) =>
        ProcessRunner.RunAsync(
            ExternalTool.Get("curl"),
            ["-sS", "-v", $"smtp://{smtp.Address}:{smtp.Port}", "--mail-from", from, "--mail-rcpt", to, "--upload-file", file],
            timeout: TimeSpan.FromSeconds(90));

    // dirmngr reads /etc/hosts and the system CA bundle: both are bind-mounted in a mount namespace of its own.
    internal static Task<ProcessResult> InNamespaceAsync(GpgHome home, string hosts, string bundle, string program, params string[] arguments)
    {
        const string Script = """
            mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/ssl/certs/ca-certificates.crt || exit 97
            shift 2
            "$@"
            status=$?
            gpgconf --kill dirmngr
            exit $status
            """;
        return ProcessRunner.RunAsync(
            ExternalTool.Get("unshare"),
            ["-m", "sh", "-c", Script, "sh", hosts, bundle, program, .. arguments],
            environment: new Dictionary<string, string> { ["GNUPGHOME"] = home.Path },
            timeout: TimeSpan.FromSeconds(120));
    }
}
