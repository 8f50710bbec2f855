using System.Globalization;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Interop.Tests.GnuPG;
using Keypost.Interop.Tests.Postfix;
using Keypost.Interop.Tests.Reading;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;
using Keypost.Testing.PgpMime;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Interop.Tests.AtRest;

/// <summary>
/// Issue #16, must show: plain mail stored encrypted at rest is read with the real Subject and body by Luke's
/// `keypost read` and by mutt with GPGME, both over IMAPS from a real Keypost server.
/// </summary>
public sealed class AtRestReadingTests
{
    private const string Luke = "luke@jedi.test";

    private const string RealSubject = "Your boarding pass to Dagobah";
    private const string SecretBody = "Seat 1A, departs at dawn.";

    [ToolFact("mutt", "tmux", "gpg", "gpgconf")]
    public async Task Keypost_read_and_mutt_show_the_real_subject_and_body_of_mail_encrypted_at_rest()
    {
        using var root = new TempDirectory("keypost-atrest-reading");
        var luke = Crafted.Key(Luke);
        await using var bed = TestBed.Create("keypost-reading");
        var node = await bed.StartAsync(TestBed.Alone);
        await node.Server.Store.PublishAsync(EmailAddress.Parse(Luke), luke.Fingerprint, luke.Certificate.ToBinary(), revoked: false, CancellationToken.None);

        var letter = Crafted.Letter("Bespin Air <tickets@bespin.test>", "Luke <luke@jedi.test>", RealSubject, SecretBody);
        using (var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false })
        {
            await smtp.ConnectAsync("127.0.0.1", node.Inbound.Port, SecureSocketOptions.StartTls);
            await smtp.SendAsync(letter);
            await smtp.DisconnectAsync(quit: true);
        }

        var stored = await MaildirWait.FirstMessageAsync(node.NewMailOf(EmailAddress.Parse(Luke)), TimeSpan.FromSeconds(60));
        Assert.NotNull(stored);
        Assert.DoesNotContain(RealSubject, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretBody, stored, StringComparison.Ordinal);

        // keypost read, with Luke's key on Luke's side only.
        var home = root.Combine("home");
        await File.WriteAllTextAsync(root.Combine("luke.asc"), luke.ToArmored());
        var init = await KeypostCli.RunAsync(
            ["client", "init", "--home", home, "--address", Luke, "--server", "127.0.0.1",
             "--imap-port", node.Imaps.Port.ToString(CultureInfo.InvariantCulture), "--ca", bed.CaFile, "--secret-key", root.Combine("luke.asc")]);
        Assert.True(init.ExitCode == 0, init.ToString());
        var read = await KeypostCli.RunAsync(["read", "1", "--home", home], environment: new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = TestBed.LukePassword });
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("Subject: " + RealSubject, read.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(SecretBody, read.StandardOutput, StringComparison.Ordinal);

        // mutt with GPGME, as MuttReadsProtectedSubjectTests drives it.
        await using var gpg = new GpgHome();
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(luke.ToArmored()));
        var muttHome = gpg.PathOf("mutt-home");
        System.IO.Directory.CreateDirectory(muttHome);
        var muttrc = Path.Combine(muttHome, "muttrc");
        await File.WriteAllTextAsync(muttrc, string.Join('\n',
            $"set folder=\"imaps://localhost:{node.Imaps.Port}/\"",
            "set spoolfile=\"+INBOX\"",
            $"set imap_user=\"{Luke}\"",
            $"set imap_pass=\"{TestBed.LukePassword}\"",
            $"set ssl_ca_certificates_file=\"{bed.CaFile}\"",
            $"set certificate_file=\"{Path.Combine(muttHome, "certificates")}\"",
            "set ssl_force_tls=yes",
            "set crypt_use_gpgme=yes",
            "set crypt_protected_headers_read=yes",
            "set header_cache=\"\"",
            "set message_cachedir=\"\"",
            "set mail_check=3600",
            "set imap_check_subscribed=no",
            "set index_format=\"%4C | %-24.24L | %s\"",
            "set pager_index_lines=0",
            "set wait_key=no",
            "set move=no",
            "ignore *",
            "unignore from: to: subject:",
            ""));
        var command = $"env HOME='{muttHome}' GNUPGHOME='{gpg.Path}' TERM=xterm-256color LANG=C.UTF-8 {ExternalTool.Get("mutt")} -n -F '{muttrc}'";
        await using var terminal = await TmuxTerminal.StartAsync(gpg.PathOf("tmux.sock"), command);
        var index = await terminal.WaitForAsync(s => s.Contains("[...]", StringComparison.Ordinal) || s.Contains(RealSubject, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.True(index.Contains("   1 |", StringComparison.Ordinal), "mutt's index shows no message:\n" + index);
        await terminal.SendKeysAsync("Enter");
        var pager = await terminal.WaitForAsync(s => s.Contains(RealSubject, StringComparison.Ordinal) && s.Contains(SecretBody, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.True(pager.Contains(RealSubject, StringComparison.Ordinal), "mutt's pager does not show the protected Subject:\n" + pager);
        Assert.True(pager.Contains(SecretBody, StringComparison.Ordinal), "mutt's pager does not show the body:\n" + pager);
        Assert.Contains("PGP/MIME encrypted", pager, StringComparison.Ordinal);
        await terminal.SendKeysAsync("q");
    }
}
