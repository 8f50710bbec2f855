using Keypost.Imap;

namespace Keypost.Imap.Tests;

public sealed class ImapRawProtocolTests
{
    private static async Task<RawImapClient> LoggedInAsync(ImapTestServer server)
    {
        var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        Assert.StartsWith("* OK [CAPABILITY ", await client.ReadLineAsync());
        await client.LoginAsync();
        return client;
    }

    // Issue #19: the warm-up `keypost serve` runs at start works on a throw-away Maildir and leaves nothing behind,
    // and the server serves as before.
    [Fact]
    public async Task Warm_up_leaves_no_files_behind_and_the_server_still_serves()
    {
        await using var server = await ImapTestServer.StartAsync();
        static string[] Left() => System.IO.Directory.GetDirectories(Path.GetTempPath(), "keypost-warm-up-*");
        var before = Left();

        await server.Listener.WarmUpAsync(CancellationToken.None);

        Assert.Equal(before, Left());
        await using var client = await LoggedInAsync(server);
        Assert.StartsWith("s OK", (await client.CommandAsync("s", "SELECT INBOX"))[^1]);
    }

    // Issue #19: a SEARCH whose every match needs a header key the index answers looks only at the messages the index
    // found (ImapSession.Candidates); the answer must be what a walk over every message gives: right sequence numbers
    // after an expunge, other keys still applied, and keys under OR and NOT still over the whole mailbox.
    [Fact]
    public async Task Search_narrowed_by_the_index_answers_as_a_walk_over_every_message()
    {
        const int count = 200;
        await using var server = await ImapTestServer.StartAsync();
        var inbox = server.Store.OpenAccount(Keypost.Core.Addresses.EmailAddress.Parse(ImapTestServer.Luke)).Get("INBOX");
        var cur = Path.Combine(server.LukeMaildir, "cur");
        for (var i = 1; i <= count; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(cur, $"{1_790_000_000 + i}.M{i}P1.search:2,"), $"Subject: report r{i}x\r\n\r\nbody\r\n");
        }

        await inbox.SnapshotAsync(CancellationToken.None);
        await using var client = await LoggedInAsync(server);
        Assert.StartsWith("s OK", (await client.CommandAsync("s", "SELECT INBOX"))[^1]);
        Assert.StartsWith("d OK", (await client.CommandAsync("d", "UID STORE 5 +FLAGS.SILENT (\\Deleted)"))[^1]);
        Assert.StartsWith("e OK", (await client.CommandAsync("e", "EXPUNGE"))[^1]);

        static string Answer(List<string> lines) => Assert.Single(lines, l => l.StartsWith("* SEARCH", StringComparison.Ordinal));

        Assert.Equal("* SEARCH 16", Answer(await client.CommandAsync("a", "SEARCH SUBJECT R17X")));
        Assert.Equal("* SEARCH 17", Answer(await client.CommandAsync("b", "UID SEARCH SUBJECT r17x")));
        Assert.Equal("* SEARCH", Answer(await client.CommandAsync("c", "SEARCH SEEN SUBJECT r17x")));
        Assert.StartsWith("f OK", (await client.CommandAsync("f", "UID STORE 17 +FLAGS.SILENT (\\Seen)"))[^1]);
        Assert.Equal("* SEARCH 16", Answer(await client.CommandAsync("g", "SEARCH (SEEN SUBJECT r17x) 1:20")));
        Assert.Equal("* SEARCH", Answer(await client.CommandAsync("h", "SEARCH SUBJECT r17x 17:*")));
        Assert.Equal("* SEARCH 16 17", Answer(await client.CommandAsync("i", "SEARCH OR SUBJECT r17x SUBJECT r18x")));
        Assert.Equal(count - 2, Answer(await client.CommandAsync("j", "SEARCH NOT SUBJECT r17x")).Split(' ').Length - 2);
        Assert.Equal("* SEARCH", Answer(await client.CommandAsync("k", "SEARCH SUBJECT r5x")));
        // "r1" is shorter than a trigram (the index scans), and 111 of 199 messages match: a walk over all of them.
        Assert.Equal(111, Answer(await client.CommandAsync("l", "SEARCH SUBJECT report SUBJECT r1")).Split(' ').Length - 2);
    }

    // Issue #19: FETCH of UID and FLAGS alone is formatted from the state in memory in chunks of 64 KiB. Across
    // several chunks, with overlapping ranges, each asked item order, and a message another session expunged that this
    // one has not been told of (skipped, RFC 9051 §7.5.1: no EXPUNGE during FETCH), every response must be as RFC
    // 9051 §7.5.2 has it, once per message, in order.
    [Fact]
    public async Task Fetch_of_flags_alone_answers_every_message_once_in_order_across_chunks()
    {
        const int count = 3000;
        await using var server = await ImapTestServer.StartAsync();
        var inbox = server.Store.OpenAccount(Keypost.Core.Addresses.EmailAddress.Parse(ImapTestServer.Luke)).Get("INBOX");
        var cur = Path.Combine(server.LukeMaildir, "cur");
        for (var i = 1; i <= count; i++)
        {
            // Every third message \Seen, every fifth \Flagged too (the flags ride in the file name, Maildir's info).
            var flags = (i % 5 == 0 ? "F" : "") + (i % 3 == 0 ? "S" : "");
            await File.WriteAllTextAsync(Path.Combine(cur, $"{1_790_000_000 + i}.M{i}P1.flags:2,{flags}"), $"Subject: m{i}\r\n\r\nbody\r\n");
        }

        // The index of 3,000 new files is built here, outside the raw client's 10 s read limit (a loaded machine).
        await inbox.SnapshotAsync(CancellationToken.None);
        await using var client = await LoggedInAsync(server);
        await using var other = await LoggedInAsync(server);
        Assert.StartsWith("s OK", (await client.CommandAsync("s", "SELECT INBOX"))[^1]);
        Assert.StartsWith("s OK", (await other.CommandAsync("s", "SELECT INBOX"))[^1]);
        Assert.StartsWith("d OK", (await other.CommandAsync("d", "UID STORE 10 +FLAGS.SILENT (\\Deleted)"))[^1]);
        Assert.StartsWith("e OK", (await other.CommandAsync("e", "UID EXPUNGE 10"))[^1]);

        var all = await client.CommandAsync("f", "UID FETCH 1:* (FLAGS)");
        var some = await client.CommandAsync("g", "FETCH 2:4,3:6,2999:* (FLAGS UID)");
        var uidOnly = await client.CommandAsync("h", "FETCH 1:2 UID");

        static string Flags(int i) => "(" + string.Join(' ', new[] { i % 3 == 0 ? "\\Seen" : null, i % 5 == 0 ? "\\Flagged" : null }.OfType<string>()) + ")";
        var expected = Enumerable.Range(1, count).Where(i => i != 10).Select(i => $"* {i} FETCH (UID {i} FLAGS {Flags(i)})");
        Assert.Equal([.. expected, "f OK FETCH completed"], all);
        Assert.Equal(
            [.. new[] { 2, 3, 4, 5, 6, 2999, 3000 }.Select(i => $"* {i} FETCH (FLAGS {Flags(i)} UID {i})"), "g OK FETCH completed"],
            some);
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "h OK FETCH completed"], uidOnly);
    }

    [Fact]
    public async Task Greeting_offers_starttls_and_disables_login_before_tls()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.StartTls, tls: false);

        var greeting = await client.ReadLineAsync();

        Assert.StartsWith("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 ", greeting);
        Assert.Contains(" STARTTLS", greeting, StringComparison.Ordinal);
        Assert.Contains(" LOGINDISABLED", greeting, StringComparison.Ordinal);
        Assert.DoesNotContain("AUTH=PLAIN", greeting, StringComparison.Ordinal);
        Assert.EndsWith("Keypost IMAP ready", greeting, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_and_authenticate_before_starttls_are_refused()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.StartTls, tls: false);
        await client.ReadLineAsync();

        var login = await client.CommandAsync("a", "LOGIN " + ImapTestServer.Luke + " " + ImapTestServer.LukePassword);
        var plain = await client.CommandAsync("b", "AUTHENTICATE PLAIN " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0" + ImapTestServer.Luke + "\0" + ImapTestServer.LukePassword)));

        Assert.StartsWith("a NO [PRIVACYREQUIRED]", login[^1]);
        Assert.StartsWith("b NO [PRIVACYREQUIRED]", plain[^1]);
    }

    [Fact]
    public async Task Starttls_discards_pipelined_plaintext_then_authenticate_plain_works()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.StartTls, tls: false);
        await client.ReadLineAsync();

        await client.SendAsync("a STARTTLS\r\nb LOGOUT\r\n");
        Assert.Equal("a OK Begin TLS negotiation now", await client.ReadLineAsync());
        await client.StartTlsAsync();
        var caps = await client.CommandAsync("c", "CAPABILITY");
        var auth = await client.CommandAsync("d", "AUTHENTICATE PLAIN " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0" + ImapTestServer.Luke + "\0" + ImapTestServer.LukePassword)));

        Assert.StartsWith("* CAPABILITY ", caps[0]);
        Assert.Contains("AUTH=PLAIN", caps[0], StringComparison.Ordinal);
        Assert.DoesNotContain("STARTTLS", caps[0], StringComparison.Ordinal);
        Assert.StartsWith("d OK", auth[^1]);
    }

    [Fact]
    public async Task Commands_before_login_are_rejected()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        Assert.StartsWith("a BAD", (await client.CommandAsync("a", "SELECT INBOX"))[^1]);
        Assert.StartsWith("b BAD", (await client.CommandAsync("b", "FETCH 1 BODY[]"))[^1]);
        Assert.StartsWith("c BAD", (await client.CommandAsync("c", "LIST \"\" *"))[^1]);
        Assert.StartsWith("d OK", (await client.CommandAsync("d", "NOOP"))[^1]);
    }

    [Fact]
    public async Task Huge_synchronizing_literal_is_refused_unread()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await LoggedInAsync(server);

        await client.SendAsync("a APPEND INBOX {999999999}\r\n");

        Assert.StartsWith("a NO [TOOBIG]", await client.ReadLineAsync());
        Assert.StartsWith("b OK", (await client.CommandAsync("b", "NOOP"))[^1]);
    }

    [Fact]
    public async Task Huge_non_synchronizing_literal_ends_the_session()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await LoggedInAsync(server);

        await client.SendAsync("a APPEND INBOX {999999999+}\r\nFrom: x\r\n");

        Assert.StartsWith("a BAD [TOOBIG]", await client.ReadLineAsync());
        Assert.StartsWith("* BYE", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Literals_work_for_login_and_append()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        await client.SendAsync("a LOGIN {" + ImapTestServer.Luke.Length + "}\r\n");
        Assert.StartsWith("+ ", await client.ReadLineAsync());
        await client.SendAsync(ImapTestServer.Luke + " {" + ImapTestServer.LukePassword.Length + "+}\r\n" + ImapTestServer.LukePassword + "\r\n");
        Assert.StartsWith("a OK", (await client.ReadUntilTaggedAsync("a"))[^1]);
        var message = TestMail.Simple("Literal");
        await client.SendAsync("b APPEND INBOX (\\Flagged) \"05-Nov-2026 10:00:00 +0100\" {" + message.Length + "+}\r\n" + message + "\r\n");
        var appended = await client.ReadUntilTaggedAsync("b");

        Assert.Matches(@"^b OK \[APPENDUID \d+ 1\]", appended[^1]);
        Assert.Single(System.IO.Directory.GetFiles(Path.Combine(server.LukeMaildir, "cur"), "*:2,F"));
    }

    [Fact]
    public async Task Overlong_command_line_gets_bad_and_the_connection_closes()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        await client.SendAsync("a NOOP " + new string('x', 70 * 1024));

        Assert.StartsWith("* BAD", await client.ReadLineAsync());
        Assert.StartsWith("* BYE", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Garbage_and_unterminated_commands_get_bad_and_too_many_end_the_session()
    {
        await using var server = await ImapTestServer.StartAsync(configure: o => new ImapListenerOptions
        {
            HostName = o.HostName, Certificate = o.Certificate, Endpoints = o.Endpoints, AuthFailureDelay = TimeSpan.Zero, MaxErrors = 4,
        });
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        Assert.StartsWith("a BAD", (await client.CommandAsync("a", "LOGIN \"luke@jedi.test"))[^1]);
        await client.SendAsync("%%% (\r\n");
        Assert.StartsWith("* BAD", await client.ReadLineAsync());
        Assert.StartsWith("b BAD", (await client.CommandAsync("b", "FROBNICATE"))[^1]);
        var last = await client.CommandAsync("c", "CAPABILITY extra");

        Assert.StartsWith("c BAD", last[^1]);
        Assert.StartsWith("* BYE", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Deep_section_path_is_bad_and_body_without_peek_sets_seen()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Multipart);
        await using var client = await LoggedInAsync(server);
        await client.CommandAsync("s", "SELECT INBOX");

        var deep = await client.CommandAsync("a", "FETCH 1 BODY[" + string.Join('.', Enumerable.Repeat("1", 40)) + "]");
        var part = await client.CommandAsync("b", "FETCH 1 (BODY[1] BODY[2.MIME] BODY[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.8>)");

        Assert.StartsWith("a BAD", deep[^1]);
        var text = string.Join("\r\n", part);
        Assert.Contains("BODY[1] {37}\r\nThe plans are attached.\r\nSecond line.", text, StringComparison.Ordinal);
        Assert.Contains("Content-Disposition: attachment; filename=\"plans.bin\"", text, StringComparison.Ordinal);
        Assert.Contains("BODY[HEADER.FIELDS (SUBJECT)] {27}\r\nSubject: Plans attached\r\n", text, StringComparison.Ordinal);
        Assert.Contains("BODY[TEXT]<0> {8}\r\npreamble", text, StringComparison.Ordinal);
        Assert.Contains("FLAGS (\\Seen)", text, StringComparison.Ordinal);
        Assert.StartsWith("b OK", part[^1]);
        Assert.Single(System.IO.Directory.GetFiles(Path.Combine(server.LukeMaildir, "cur"), "*:2,S"));
    }

    [Fact]
    public async Task Sessions_over_the_limit_get_bye()
    {
        await using var server = await ImapTestServer.StartAsync(configure: o => new ImapListenerOptions
        {
            HostName = o.HostName, Certificate = o.Certificate, Endpoints = o.Endpoints, MaxSessions = 1,
        });
        await using var first = await RawImapClient.ConnectAsync(server.StartTls, tls: false);
        Assert.StartsWith("* OK", await first.ReadLineAsync());

        await using var second = await RawImapClient.ConnectAsync(server.StartTls, tls: false);

        Assert.StartsWith("* BYE", await second.ReadLineAsync());
        Assert.Null(await second.ReadLineAsync());
    }

    [Fact]
    public async Task Logins_over_the_per_account_limit_get_no_limit_and_a_freed_slot_is_reusable()
    {
        await using var server = await ImapTestServer.StartAsync(configure: o => new ImapListenerOptions
        {
            HostName = o.HostName, Certificate = o.Certificate, Endpoints = o.Endpoints, MaxSessionsPerAccount = 2,
        });
        var first = await server.ClientAsync();
        using var second = await server.ClientAsync();
        var refused = await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(server.ClientAsync);
        Assert.NotNull(refused);

        await first.DisconnectAsync(quit: true);
        first.Dispose();
        using var third = await RetryAsync(server.ClientAsync);
        Assert.True(third.IsAuthenticated);
    }

    // The server notices a closed session a moment after the client has gone.
    private static async Task<T> RetryAsync<T>(Func<Task<T>> action)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (MailKit.Security.AuthenticationException) when (attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task List_status_and_search_answer_in_imap4rev1_form()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await server.DeliverAsync(TestMail.Simple("Two"));
        await using var client = await LoggedInAsync(server);

        var list = await client.CommandAsync("a", "LIST \"\" \"%\"");
        var status = await client.CommandAsync("b", "STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)");
        var select = await client.CommandAsync("c", "SELECT INBOX");
        var search = await client.CommandAsync("d", "UID SEARCH UNSEEN SUBJECT two");
        var enable = await client.CommandAsync("e", "ENABLE IMAP4rev2");
        var esearch = await client.CommandAsync("f", "SEARCH ALL");

        Assert.Contains("* LIST (\\HasNoChildren \\Sent) \".\" \"Sent\"", list);
        Assert.Contains("* LIST (\\HasNoChildren) \".\" \"INBOX\"", list);
        Assert.Matches(@"^\* STATUS ""INBOX"" \(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \d+ UNSEEN 2\)$", status[0]);
        Assert.Contains("* 2 EXISTS", select);
        Assert.Contains(select, l => l.StartsWith("* OK [UIDVALIDITY ", StringComparison.Ordinal));
        Assert.Contains("* OK [UIDNEXT 3] Predicted next UID", select);
        Assert.Contains("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] Flags permitted", select);
        Assert.StartsWith("c OK [READ-WRITE]", select[^1]);
        Assert.Equal("* SEARCH 2", search[0]);
        Assert.Equal("* ENABLED IMAP4rev2", enable[0]);
        Assert.Equal("* ESEARCH (TAG \"f\") ALL 1:2", esearch[0]);
    }

    [Fact]
    public async Task Encapsulated_message_sections_and_bodystructure()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Forwarded);
        await using var client = await LoggedInAsync(server);
        await client.CommandAsync("s", "EXAMINE INBOX");

        var lines = await client.CommandAsync("a", "FETCH 1 (BODYSTRUCTURE BODY.PEEK[2.HEADER.FIELDS (SUBJECT)] BODY.PEEK[2.2] BODY.PEEK[2.1.2] BODY.PEEK[2.TEXT]<0.4>)");
        var text = string.Join("\r\n", lines);

        Assert.StartsWith("a OK", lines[^1]);
        Assert.Contains("BODY[2.HEADER.FIELDS (SUBJECT)] {19}\r\nSubject: orders\r\n\r\n", text, StringComparison.Ordinal);
        Assert.Contains("BODY[2.2] {19}\r\n<p>Go to Endor.</p>", text, StringComparison.Ordinal);
        Assert.Contains(" BODY[2.1.2] NIL", text, StringComparison.Ordinal);
        Assert.Contains("BODY[2.TEXT]<0> {4}\r\n--b2", text, StringComparison.Ordinal);
        Assert.Contains("(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 12 1 NIL NIL NIL NIL)", text, StringComparison.Ordinal);
        Assert.Contains("(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" ", text, StringComparison.Ordinal);
        Assert.Contains("((\"Mon Mothma\" NIL \"mon\" \"rebel.test\"))", text, StringComparison.Ordinal);
        Assert.Contains("\"ALTERNATIVE\" (\"BOUNDARY\" \"b2\")", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\Seen", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repeated_failed_logins_end_the_session()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        Assert.StartsWith("a NO [AUTHENTICATIONFAILED]", (await client.CommandAsync("a", "LOGIN luke@jedi.test wrong1"))[^1]);
        Assert.StartsWith("b NO [AUTHENTICATIONFAILED]", (await client.CommandAsync("b", "LOGIN luke@jedi.test wrong2"))[^1]);
        var third = await client.CommandAsync("c", "LOGIN luke@jedi.test wrong3");

        Assert.Equal("* BYE Too many failed logins", third[0]);
        Assert.StartsWith("c NO", third[^1]);
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Before_login_only_small_literals_are_accepted()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        await client.SendAsync("a LOGIN {100000}\r\n");

        Assert.StartsWith("a NO [TOOBIG]", await client.ReadLineAsync());
        await client.LoginAsync();
    }

    [Fact]
    public async Task Binary_fetch_decodes_the_transfer_encoding()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Multipart);
        await using var client = await LoggedInAsync(server);
        await client.CommandAsync("s", "SELECT INBOX");

        var lines = await client.CommandAsync("a", "FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2] BINARY.PEEK[2]<6.4>)");
        var text = string.Join("\r\n", lines);

        Assert.StartsWith("a OK", lines[^1]);
        Assert.Contains("BINARY.SIZE[2] 10", text, StringComparison.Ordinal);
        Assert.Contains("BINARY[2] {10}\r\nDEATH STAR", text, StringComparison.Ordinal);
        Assert.Contains("BINARY[2]<6> {4}\r\nSTAR", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\Seen", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_mailbox_selected_elsewhere_ends_that_session()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var watcher = await LoggedInAsync(server);
        await using var actor = await LoggedInAsync(server);
        Assert.StartsWith("c OK", (await actor.CommandAsync("c", "CREATE Temp"))[^1]);
        Assert.StartsWith("s OK", (await watcher.CommandAsync("s", "SELECT Temp"))[^1]);

        Assert.StartsWith("d OK", (await actor.CommandAsync("d", "DELETE Temp"))[^1]);
        await watcher.SendAsync("n NOOP\r\n");

        Assert.Equal("* BYE The selected mailbox was deleted", await watcher.ReadLineAsync());
        Assert.Null(await watcher.ReadLineAsync());
    }
}
