using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Fuzz.Support;
using Keypost.Fuzz.Targets;
using MimeKit;

namespace Keypost.Fuzz;

/// <summary>
/// The starting inputs of every target, written to tests/fuzz/corpus/&lt;target&gt;/ by <c>Keypost.Fuzz seed</c>:
/// ordinary traffic, the reproducers of issue #20, and edge cases of each grammar. Kept in code so the seeds can
/// be made again (the PGP/MIME ones need the harness key).
/// </summary>
public static class SeedCorpus
{
    public static IReadOnlyDictionary<string, byte[]> For(string target) => target switch
    {
        "smtp-path" => Texts(
            "FROM:<leia@rebel.test>", "FROM:<>", "TO:<luke@jedi.test> NOTIFY=SUCCESS", "FROM:<leia@rebel.test> SIZE=1000 BODY=8BITMIME SMTPUTF8",
            "TO:<\"quoted local\"@jedi.test>", "FROM:<@relay.test:leia@rebel.test>", "TO:<luke@[127.0.0.1]>", "TO:<luke@[IPv6:::1]>",
            "FROM:<a..b@rebel.test>", "TO:<jürgen@jedi.test>", "FROM:leia@rebel.test", "TO:<Postmaster>"),
        "smtp-session" => Texts(
            "MAIL FROM:<leia@rebel.test>\r\nRCPT TO:<luke@jedi.test>\r\nDATA\r\nFrom: leia@rebel.test\r\nSubject: hi\r\n\r\nbody\r\n.\r\n",
            "MAIL FROM:<leia@rebel.test> SIZE=999999999999\r\nRCPT TO:<luke@jedi.test>\r\nDATA\r\nx\r\n.\r\n",
            "MAIL FROM:<leia@rebel.test>\r\nRCPT TO:<luke@jedi.test>\r\nDATA\r\nSubject: part1\r\n\r\npart1\n.\nMAIL FROM:<vader@empire.test>\r\n.\r\n",
            "RSET\r\nNOOP\r\nVRFY luke\r\nEXPN all\r\nHELP\r\nHELO again\r\nSTARTTLS now\r\nAUTH PLAIN AGx1a2UAcHc=\r\n",
            "MAIL FROM:<a..b@rebel.test>\r\nRCPT TO:<>\r\nDATA\r\n", "\0\r\n\r\r\n\u00ff\u00fe\r\n"),
        "data-intake" => Messages(),
        "imap-tokenizer" => Texts(
            "a SEARCH OR FROM leia (SUBJECT plans NOT SEEN) UID 1:*", "1,2:4,*:7 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (FROM)]<0.100>)",
            "(\\Seen \\Flagged $Label)", "\"quoted \\\"string\\\"\" {5}\r\nabcde\r\n atom", "{3+}\r\nabc\r\n", "4294967296", "ALL",
            "SEARCH " + new string('(', 200), "BINARY.PEEK[1]<0.10> BINARY.SIZE[2]"),
        "imap-session" => Texts(
            "a SEARCH " + new string('(', 11_400), "a SEARCH " + string.Concat(Enumerable.Repeat("NOT ", 16_000)) + "ALL",
            "a FETCH 1 (ALL)", "a FETCH 1:* (FULL)", "a1 *", "a APPEND INBOX {5+}\r\nabcde\r\nb FETCH 1:* (ENVELOPE BODYSTRUCTURE)\r\nc SEARCH HEADER Subject x",
            "a FETCH 1:* (BODY.PEEK[2.2.1] BINARY.PEEK[2.3] RFC822.SIZE)", "a IDLE\r\nDONE", "a NAMESPACE\r\nb LIST \"\" *\r\nc STATUS INBOX (MESSAGES UIDNEXT)",
            "a COPY 1:2 Archive\r\nb MOVE 3 Archive\r\nc EXPUNGE\r\nd UID EXPUNGE 1:*", "a ENABLE IMAP4rev2\r\nb SEARCH RETURN (MIN MAX COUNT) ALL",
            "a CREATE foo/bar\r\nb RENAME foo baz\r\nc DELETE baz\r\nd SUBSCRIBE INBOX\r\ne LSUB \"\" *"),
        "imap-search" => Texts("ALL", "OR FROM leia (SUBJECT plans NOT SEEN)", "CHARSET UTF-8 TEXT \"grüße\"", "RETURN (MIN COUNT) UID 1:*",
            "HEADER Message-ID <1@rebel.test> SENTSINCE 1-Jan-2020 BEFORE 1-Jan-2030", "LARGER 10 SMALLER 99999 KEYWORD $x UNKEYWORD y",
            new string('(', 100), "NOT NOT NOT NOT ALL", "BODY {3}\r\nabc"),
        "imap-fetch" => Texts("1:* (UID FLAGS ENVELOPE BODYSTRUCTURE)", "1 (ALL)", "2 BODY.PEEK[2.2.1]<0.5>", "2 (BINARY.PEEK[3] BINARY.SIZE[3])",
            "1:* (BODY[HEADER.FIELDS (FROM SUBJECT)] RFC822.HEADER RFC822.TEXT)", "4 (ENVELOPE BODY)", "*:1 FAST", "1 BODY[1.2.3.4.5.6.7.8.9.10]"),
        "imap-store" => Texts("1:* +FLAGS (\\Seen \\Flagged)", "2 -FLAGS.SILENT \\Deleted", "1 FLAGS ()", "*:1 +FLAGS ($Label $Other)", "1 +FLAGS (\\Recent"),
        "imap-append" => Texts("INBOX {5+}\r\nabcde", "Archive (\\Seen) \"05-Nov-2026 10:00:00 +0100\" {20+}\r\nSubject: x\r\n\r\nbody\r\n",
            "INBOX {0+}\r\n", "Nope {3+}\r\nabc", "INBOX (\\Bogus) \"99-Foo-2026 99:99:99 +9999\" {1+}\r\nx"),
        "imap-list" => Texts("\"\" *", "\"\" %", "INBOX/ %/%", "(SUBSCRIBED) \"\" * RETURN (CHILDREN SPECIAL-USE)", "\"\" \"%%%%%%%%%%%%%%%%*\"", "{1+}\r\n* \"\""),
        "imap-mailbox" => Texts("foo", "INBOX", "\"a/b/c\"", "&AOQ-", "a//b", "\"\"", "../x", ".hidden", "{3+}\r\nabc", "Junk/\u00e4"),
        "fetch-writer" => Messages(),
        "wkd-routing" => Requests(),
        "openpgp-packets" => OpenPgp(),
        "pgpmime-reader" => PgpMime(),
        "spf-record" => Texts("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx -all", "v=spf1 include:a.test include:b.test ~all",
            "v=spf1 redirect=_spf.%{d}", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", "v=spf1 ptr ?all exp=explain.%{d}",
            "v=spf1 a/24//64 mx:mx.test/30 +all", "v=spf1 ip4:999.1.1.1 -all", "v=spf1 %{z}"),
        "dmarc-record" => Texts("v=DMARC1; p=reject", "v=DMARC1; p=quarantine; sp=none; pct=50; adkim=s; aspf=s; rua=mailto:r@rebel.test",
            "v=DMARC1;p=none;;;", "v=DMARC1; p=reject; pct=999", "v=DMARC1", "v=DMARC2; p=reject"),
        "dkim-record" => Texts("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
            "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB",
            "v=DKIM1; p=", "v=DKIM1; k=ed25519; p=AAAA\nv=1; a=ed25519-sha256; d=rebel.test; s=s1; c=relaxed/simple; h=from:subject; bh=AAAA; b=AAAA",
            "p=!!!\nv=1; a=rsa-sha256; l=99999; t=1; x=0; d=rebel.test; s=s1; h=from; bh=; b="),
        "transparency-decoders" => TransparencyDecodersTarget.Seeds(),
        _ => throw new ArgumentException("no seeds for " + target, nameof(target)),
    };

    private static Dictionary<string, byte[]> Texts(params string[] texts) =>
        texts.Select((t, i) => (Name: $"seed-{i:D2}", Data: Encoding.UTF8.GetBytes(t))).ToDictionary(x => x.Name, x => x.Data);

    private static Dictionary<string, byte[]> Messages()
    {
        var seeds = SeedMessages.All.Select((m, i) => (Name: $"message-{i:D2}", Data: m)).ToDictionary(x => x.Name, x => x.Data);
        var deep = new StringBuilder("From: a@rebel.test\r\nMIME-Version: 1.0\r\n");
        for (var i = 0; i < 200; i++)
        {
            deep.Append("Content-Type: multipart/mixed; boundary=\"b").Append(i).Append("\"\r\n\r\n--b").Append(i).Append("\r\n");
        }

        deep.Append("Content-Type: text/plain\r\n\r\nbottom\r\n");
        seeds["deep-mime"] = Encoding.ASCII.GetBytes(deep.ToString());
        seeds["dkim-signed"] = Encoding.ASCII.GetBytes("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=rebel.test; s=s1; h=from:to:subject; bh=AAAA; b=AAAA\r\nFrom: Leia <leia@rebel.test>\r\nTo: luke@jedi.test\r\nSubject: signed\r\n\r\nbody\r\n");
        seeds["no-from"] = Encoding.ASCII.GetBytes("To: luke@jedi.test\r\nSubject: no author\r\n\r\nbody\r\n");
        seeds["group-from"] = Encoding.ASCII.GetBytes("From: rebels: leia@rebel.test, han@rebel.test;\r\nSender: <>\r\nReply-To: \r\n\r\nbody\r\n");
        return seeds;
    }

    private static Dictionary<string, byte[]> Requests()
    {
        var hash = WkdRoutingHarness.LukeHash;
        return new Dictionary<string, byte[]>
        {
            ["advanced"] = WkdRoutingHarness.Request("GET", "openpgpkey.jedi.test", $"/.well-known/openpgpkey/jedi.test/hu/{hash}?l=luke"),
            ["direct"] = WkdRoutingHarness.Request("HEAD", "jedi.test", $"/.well-known/openpgpkey/hu/{hash}"),
            ["policy"] = WkdRoutingHarness.Request("GET", "openpgpkey.jedi.test", "/.well-known/openpgpkey/jedi.test/policy"),
            ["submission"] = WkdRoutingHarness.Request("GET", "jedi.test", "/.well-known/openpgpkey/submission-address"),
            ["post"] = WkdRoutingHarness.Request("POST", "openpgpkey.jedi.test", $"/.well-known/openpgpkey/jedi.test/hu/{hash}"),
            ["dot-segment"] = WkdRoutingHarness.Request("GET", "openpgpkey.jedi.test", $"/.well-known/openpgpkey/jedi.test/./hu/{hash}"),
            ["trailing-slash"] = WkdRoutingHarness.Request("GET", "jedi.test", $"/.well-known/openpgpkey/hu/{hash}/"),
            ["bad-hash"] = WkdRoutingHarness.Request("GET", "jedi.test", "/.well-known/openpgpkey/hu/not-a-hash"),
            ["other"] = WkdRoutingHarness.Request("OPTIONS", "elsewhere.test", "/"),
        };
    }

    private static Dictionary<string, byte[]> OpenPgp()
    {
        var key = PgpMimeKey();
        return new Dictionary<string, byte[]>
        {
            ["certificate-binary"] = key.Certificate.ToBinary(),
            ["certificate-armored"] = Encoding.ASCII.GetBytes(key.Certificate.ToArmored()),
            ["old-format-header"] = [0x99, 0x00, 0x03, 0x04, 0x00, 0x00],
            ["partial-length"] = [0xc6, 0xe0, 0x01],
            ["truncated"] = key.Certificate.ToBinary()[..20],
        };
    }

    private static Dictionary<string, byte[]> PgpMime()
    {
        var key = PgpMimeKey();
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Fuzz", "fuzz@jedi.test"));
        message.To.Add(new MailboxAddress("Fuzz", "fuzz@jedi.test"));
        message.Subject = "protected subject";
        message.Body = new Multipart("mixed")
        {
            new TextPart("plain") { Text = "The plans are in R2." },
            new MimePart("application", "octet-stream") { FileName = "plans.bin", Content = new MimeContent(new MemoryStream([1, 2, 3])) },
        };
        return new Dictionary<string, byte[]>
        {
            ["encrypted-signed"] = Bytes(new PgpMimeComposer().Compose(message, key, [key.Certificate])),
            ["signed"] = Bytes(new PgpMimeSigner().Sign(message, key)),
            ["plain"] = Bytes(message),
        };
    }

    private static UnlockedSecretKey PgpMimeKey() => SecretKey.Parse(File.ReadAllText(KeyPath())).Unlock("");

    /// <summary>The harness key beside the executable (copied from tests/fuzz/keys/).</summary>
    public static string KeyPath() => Path.Combine(AppContext.BaseDirectory, "keys", PgpMimeReaderTarget.KeyFile);

    /// <summary>A new throw-away key for the PGP/MIME harness, armored, unprotected.</summary>
    public static string NewKey() =>
        new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("fuzz@jedi.test")) { DisplayName = "Keypost fuzzing harness (throw-away)" }).ToArmored();

    private static byte[] Bytes(MimeMessage message)
    {
        using var output = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return output.ToArray();
    }
}
