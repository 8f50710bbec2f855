using Keypost.Testing;

namespace Keypost.Interop.Tests.Imap;

public sealed class ImapClientToolTests
{
    private static Task<ProcessResult> CurlAsync(InteropImapServer server, string path, params string[] extra) =>
        ProcessRunner.RunAsync("curl", ["-sS", "-k", "--user", InteropImapServer.Luke + ":" + InteropImapServer.LukePassword,
            "imaps://127.0.0.1:" + server.Port + path, .. extra], timeout: TimeSpan.FromSeconds(30));

    [ToolFact("curl")]
    public async Task Curl_lists_mailboxes_and_fetches_by_uid()
    {
        await using var server = await InteropImapServer.StartAsync();
        await server.DeliverAsync("From curl", "May the force be with you");

        var list = await CurlAsync(server, "/");
        var search = await CurlAsync(server, "/INBOX", "-X", "UID SEARCH ALL");
        var fetch = await CurlAsync(server, "/INBOX;UID=1");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("\"INBOX\"", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\\Sent", list.StandardOutput, StringComparison.Ordinal);
        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Contains("* SEARCH 1", search.StandardOutput, StringComparison.Ordinal);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Contains("Subject: From curl", fetch.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("May the force be with you", fetch.StandardOutput, StringComparison.Ordinal);
    }

    // imap:// with --ssl-reqd: STARTTLS on port 143 (RFC 9051 §6.2.1), then the same session flags, copies and
    // expunges through curl's custom requests.
    [ToolFact("curl")]
    public async Task Curl_over_starttls_flags_moves_and_expunges()
    {
        await using var server = await InteropImapServer.StartAsync();
        await server.DeliverAsync("Flag me", "body");
        Task<ProcessResult> Curl(string path, params string[] extra) => ProcessRunner.RunAsync(
            "curl",
            ["-sS", "-k", "--ssl-reqd", "--user", InteropImapServer.Luke + ":" + InteropImapServer.LukePassword, "imap://127.0.0.1:" + server.StartTlsPort + path, .. extra],
            timeout: TimeSpan.FromSeconds(30));

        var flagged = await Curl("/INBOX", "-X", "UID STORE 1 +FLAGS (\\Flagged)");
        var copied = await Curl("/INBOX", "-X", "UID COPY 1 Trash");
        var deleted = await Curl("/INBOX", "-X", "UID STORE 1 +FLAGS (\\Deleted)");
        var expunged = await Curl("/INBOX", "-X", "EXPUNGE");
        var inbox = await Curl("/INBOX", "-X", "SEARCH ALL");
        var trash = await Curl("/Trash", "-X", "SEARCH FLAGGED");

        Assert.True(flagged.ExitCode == 0, flagged.ToString());
        Assert.Contains("FLAGS (\\Flagged)", flagged.StandardOutput, StringComparison.Ordinal);
        Assert.True(copied.ExitCode == 0, copied.ToString());
        Assert.True(deleted.ExitCode == 0 && expunged.ExitCode == 0, deleted + "\n" + expunged);
        Assert.Contains("* 1 EXPUNGE", expunged.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("* SEARCH", inbox.StandardOutput.Trim());
        Assert.Contains("* SEARCH 1", trash.StandardOutput, StringComparison.Ordinal);
    }

    [ToolFact("curl")]
    public async Task Curl_with_a_wrong_password_fails()
    {
        await using var server = await InteropImapServer.StartAsync();

        var result = await ProcessRunner.RunAsync("curl", ["-sS", "-k", "--user", InteropImapServer.Luke + ":nope", "imaps://127.0.0.1:" + server.Port + "/"],
            timeout: TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, result.ExitCode);
    }

    private const string ImaplibScript = """
        import imaplib, ssl, sys
        port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ssl._create_unverified_context())
        print("login", m.login(user, password)[0])
        typ, boxes = m.list()
        print("list", typ, b" | ".join(boxes).decode())
        typ, data = m.select("INBOX")
        print("select", typ, data[0].decode())
        typ, data = m.search(None, "UNSEEN", "SUBJECT", "second")
        print("search", typ, data[0].decode())
        typ, data = m.fetch("1", "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        print("fetch", typ, data[0][0].decode(), data[0][1].decode().strip())
        typ, data = m.store("1", "+FLAGS", "(\\Deleted \\Seen)")
        print("store", typ, data[0].decode())
        typ, data = m.expunge()
        print("expunge", typ, data[0].decode())
        typ, data = m.uid("FETCH", "2", "(FLAGS BODY[TEXT])")
        print("uidfetch", typ, data[0][0].decode(), data[0][1].decode().strip())
        print("logout", m.logout()[0])
        """;

    [ToolFact("/usr/bin/python3")]
    public async Task Python_imaplib_session()
    {
        await using var server = await InteropImapServer.StartAsync();
        await server.DeliverAsync("first", "one");
        await server.DeliverAsync("second", "two");

        var result = await ProcessRunner.RunAsync("/usr/bin/python3", ["-c", ImaplibScript, server.Port, InteropImapServer.Luke, InteropImapServer.LukePassword],
            timeout: TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        var output = result.StandardOutput;
        Assert.Contains("login OK", output, StringComparison.Ordinal);
        Assert.Contains("(\\HasNoChildren \\Trash) \".\" \"Trash\"", output, StringComparison.Ordinal);
        Assert.Contains("select OK 2", output, StringComparison.Ordinal);
        Assert.Contains("search OK 2", output, StringComparison.Ordinal);
        Assert.Contains("fetch OK 1 (RFC822.SIZE ", output, StringComparison.Ordinal);
        Assert.Contains("Subject: first", output, StringComparison.Ordinal);
        Assert.Contains("store OK 1 (UID 1 FLAGS (\\Seen \\Deleted))", output, StringComparison.Ordinal);
        Assert.Contains("expunge OK 1", output, StringComparison.Ordinal);
        Assert.Contains("uidfetch OK 1 (UID 2 FLAGS (\\Seen) BODY[TEXT] {5}", output, StringComparison.Ordinal);
        Assert.Contains("logout BYE", output, StringComparison.Ordinal);
        Assert.Single(System.IO.Directory.GetFiles(Path.Combine(server.LukeMaildir, "cur")));
    }
}
