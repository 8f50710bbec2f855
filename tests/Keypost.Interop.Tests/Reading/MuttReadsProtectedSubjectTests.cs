using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Interop.Tests.GnuPG;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Interop.Tests.Reading;

/// <summary>
/// Issue #18: a client nobody here wrote shows the protected Subject of Keypost's mail. Debian's mutt (built with
/// GPGME) reads Luke's inbox over IMAPS from a real Keypost server, decrypts with gpg, and shows the real Subject.
/// </summary>
public sealed class MuttReadsProtectedSubjectTests
{
    private const string Luke = "luke@jedi.test";

    private const string RealSubject = "Death Star plans, revision 7";

    [ToolFact("mutt", "tmux", "gpg", "gpgconf")]
    public async Task Mutt_with_gpgme_shows_the_real_subject_of_a_keypost_message_read_over_imaps()
    {
        var leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
        var luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse(Luke)));
        var letter = Crafted.Letter("Leia <leia@rebel.test>", "Luke <luke@jedi.test>", RealSubject, "The exhaust port is two metres wide.");
        var sent = new PgpMimeComposer().Compose(letter, leia.Unlock(""), [luke.Certificate]);
        Assert.Equal("[...]", sent.Subject);

        await using var bed = TestBed.Create("keypost-reading");
        var node = await bed.StartAsync(TestBed.Alone);
        await node.AppendAsync(EmailAddress.Parse(Luke), "INBOX", [sent]);
        await using var gpg = new GpgHome();
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(luke.ToArmored()));
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(leia.Certificate.ToArmored()));

        // gpg's own view of the inner part: both markers on its root.
        var encrypted = gpg.PathOf("encrypted.asc");
        await using (var file = File.Create(encrypted))
        {
            ((MimePart)((Multipart)sent.Body!)[1]).Content!.DecodeTo(file);
        }

        var inner = gpg.PathOf("inner.eml");
        await gpg.GpgAsync("--output", inner, "--decrypt", encrypted);
        var entity = MimeEntity.Load(inner);
        Assert.Equal("cipher", entity.ContentType.Parameters["hp"]);
        Assert.Equal("v1", entity.ContentType.Parameters["protected-headers"]);
        Assert.Equal(RealSubject, entity.Headers[HeaderId.Subject]);

        var home = gpg.PathOf("mutt-home");
        System.IO.Directory.CreateDirectory(home);
        var muttrc = Path.Combine(home, "muttrc");
        await File.WriteAllTextAsync(muttrc, string.Join('\n',
            $"set folder=\"imaps://localhost:{node.Imaps.Port}/\"",
            "set spoolfile=\"+INBOX\"",
            $"set imap_user=\"{Luke}\"",
            $"set imap_pass=\"{TestBed.LukePassword}\"",
            $"set ssl_ca_certificates_file=\"{bed.CaFile}\"",
            $"set certificate_file=\"{Path.Combine(home, "certificates")}\"",
            "set ssl_force_tls=yes",
            "set crypt_use_gpgme=yes",
            "set crypt_protected_headers_read=yes",
            "set crypt_verify_sig=yes",
            "set header_cache=\"\"",
            "set message_cachedir=\"\"",
            "set mail_check=3600",
            "set imap_check_subscribed=no",
            "set index_format=\"%4C | %-24.24L | %s\"",
            "set pager_index_lines=0",
            "set wait_key=no",
            "set confirmappend=no",
            "set move=no",
            "ignore *",
            "unignore from: to: subject:",
            ""));
        var command = $"env HOME='{home}' GNUPGHOME='{gpg.Path}' TERM=xterm-256color LANG=C.UTF-8 {ExternalTool.Get("mutt")} -n -F '{muttrc}'";
        await using var terminal = await TmuxTerminal.StartAsync(gpg.PathOf("tmux.sock"), command);

        var index = await terminal.WaitForAsync(s => s.Contains("[...]", StringComparison.Ordinal) || s.Contains(RealSubject, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.True(index.Contains("   1 |", StringComparison.Ordinal), "mutt's index shows no message:\n" + index);
        await terminal.SendKeysAsync("Enter");
        // mutt 2.2 prints the header block as it arrived (Subject: [...]) and puts the protected Subject in the
        // message's envelope once decrypted: the pager's status line and the index show it.
        var pager = await terminal.WaitForAsync(s => s.Contains(RealSubject, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.True(pager.Contains(RealSubject, StringComparison.Ordinal), "mutt's pager does not show the protected Subject:\n" + pager);
        Assert.Contains("PGP/MIME signed and encrypted", pager, StringComparison.Ordinal);
        Assert.Contains("The exhaust port is two metres wide.", pager, StringComparison.Ordinal);

        // Back in the index, mutt replaced the obscured Subject with the protected one.
        await terminal.SendKeysAsync("i");
        var after = await terminal.WaitForAsync(s => s.Contains("| " + RealSubject, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.True(after.Contains(RealSubject, StringComparison.Ordinal), "mutt's index after reading:\n" + after);
        await terminal.SendKeysAsync("q");
    }
}
