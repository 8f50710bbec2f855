using Keypost.Testing.Postgres;
namespace Keypost.Imap.Tests.Conformance;

/// <summary>RFC 9051 §6.3 (authenticated state): the RFC's mailbox examples replayed on the wire.</summary>
public abstract class Rfc9051MailboxExampleTests
{
    /// <summary>A fresh server over the store this suite runs on.</summary>
    protected abstract Task<ImapTestServer> StartAsync();

    // RFC 9051 §6.3.2: "A142 SELECT INBOX" -> "* 172 EXISTS", "* OK [UIDVALIDITY n]", "* OK [UIDNEXT n]", "* FLAGS (...)",
    // "* OK [PERMANENTFLAGS (...)]", "* LIST () "/" INBOX", "A142 OK [READ-WRITE] SELECT completed".
    [ContractFact]
    public async Task Select_example_response_set()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 3);
        await using var client = await ConformanceSession.LoggedInAsync(server);
        Assert.Equal("e OK ENABLE completed", (await client.CommandAsync("e", "ENABLE IMAP4rev2"))[^1]);

        var lines = await client.CommandAsync("A142", "SELECT INBOX");

        Assert.Contains("* 3 EXISTS", lines);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\* OK \[UIDVALIDITY [1-9]\d*\] "));
        Assert.Contains(lines, l => l.StartsWith("* OK [UIDNEXT 4] ", StringComparison.Ordinal));
        Assert.Contains("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", lines);
        Assert.Contains(lines, l => l.StartsWith("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft", StringComparison.Ordinal));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\* LIST \([^)]*\) ""\."" ""?INBOX""?$"));
        // IMAP4rev2 dropped RECENT (RFC 9051 Appendix E).
        Assert.DoesNotContain(lines, l => l.EndsWith(" RECENT", StringComparison.Ordinal));
        Assert.StartsWith("A142 OK [READ-WRITE] ", lines[^1]);
    }

    // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected; with IMAP4rev2 a SELECT while a mailbox is selected
    // first reports "* OK [CLOSED]" (§7.1).
    [ContractFact]
    public async Task Select_of_a_missing_mailbox_deselects_and_reselect_reports_closed()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 1);
        await using var client = await ConformanceSession.LoggedInAsync(server);
        await client.CommandAsync("e", "ENABLE IMAP4rev2");
        await client.CommandAsync("a", "SELECT INBOX");

        var again = await client.CommandAsync("b", "SELECT Trash");
        var missing = await client.CommandAsync("c", "SELECT blurdybloop");
        var fetch = await client.CommandAsync("d", "FETCH 1 FLAGS");

        Assert.StartsWith("* OK [CLOSED]", again[0]);
        Assert.StartsWith("b OK [READ-WRITE]", again[^1]);
        Assert.StartsWith("c NO [NONEXISTENT]", missing[^1]);
        Assert.StartsWith("d BAD ", fetch[^1]);
    }

    // RFC 9051 §6.3.3: "A932 EXAMINE blurdybloop" -> ... "* OK [PERMANENTFLAGS ()] No permanent flags permitted",
    // "A932 OK [READ-ONLY] EXAMINE completed"; nothing may change the mailbox, not even \Seen (§6.4.5).
    [ContractFact]
    public async Task Examine_is_read_only()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 2);
        await using var client = await ConformanceSession.LoggedInAsync(server);

        var lines = await client.CommandAsync("A932", "EXAMINE INBOX");
        var body = await client.CommandAsync("b", "FETCH 1 BODY[]");
        var store = await client.CommandAsync("c", "STORE 1 +FLAGS (\\Deleted)");
        var flags = await client.CommandAsync("d", "FETCH 1 FLAGS");

        Assert.Contains("* 2 EXISTS", lines);
        Assert.Contains(lines, l => l.StartsWith("* OK [PERMANENTFLAGS ()]", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("* OK [UIDVALIDITY ", StringComparison.Ordinal));
        Assert.StartsWith("A932 OK [READ-ONLY] ", lines[^1]);
        Assert.DoesNotContain("\\Seen", string.Join("\n", body), StringComparison.Ordinal);
        Assert.StartsWith("c NO", store[^1]);
        Assert.Matches(@"^\* 1 FETCH \(FLAGS \(\)\)$", flags[0]);
    }

    // RFC 9051 §6.3.4: "A003 CREATE owatagusiam/" then "A004 CREATE owatagusiam/blurdybloop" -> OK (a trailing delimiter
    // is dropped); creating an existing name fails with [ALREADYEXISTS] (§7.1).
    [ContractFact]
    public async Task Create_example_with_trailing_delimiter_and_alreadyexists()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);

        var parent = await client.CommandAsync("A003", "CREATE owatagusiam.");
        var child = await client.CommandAsync("A004", "CREATE owatagusiam.blurdybloop");
        var again = await client.CommandAsync("A005", "CREATE owatagusiam.blurdybloop");
        var inbox = await client.CommandAsync("A006", "CREATE inbox");
        var list = await client.CommandAsync("A007", "LIST \"\" owatagusiam*");

        Assert.Equal(["A003 OK CREATE completed"], parent);
        Assert.Equal(["A004 OK CREATE completed"], child);
        Assert.StartsWith("A005 NO [ALREADYEXISTS]", again[0]);
        Assert.StartsWith("A006 NO", inbox[0]);
        Assert.Equal(
            ["* LIST (\\HasChildren) \".\" \"owatagusiam\"", "* LIST (\\HasNoChildren) \".\" \"owatagusiam.blurdybloop\"", "A007 OK LIST completed"],
            list);
    }

    // RFC 9051 §6.3.4: creating "foo/bar/zap" SHOULD create the superior names foo and foo/bar that are missing.
    [ContractFact]
    public async Task Create_makes_missing_superior_names()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);

        Assert.Equal(["a OK CREATE completed"], await client.CommandAsync("a", "CREATE foo.bar.zap"));
        var list = await client.CommandAsync("b", "LIST \"\" foo*");

        Assert.Equal(
            ["* LIST (\\HasChildren) \".\" \"foo\"", "* LIST (\\HasChildren) \".\" \"foo.bar\"", "* LIST (\\HasNoChildren) \".\" \"foo.bar.zap\"", "b OK LIST completed"],
            list);
    }

    // RFC 9051 §6.3.5 (second example): DELETE foo leaves foo.bar; "LIST "" %" then shows foo as \Noselect.
    // DELETE of INBOX is an error ([CANNOT]); of a missing mailbox, [NONEXISTENT].
    [ContractFact]
    public async Task Delete_example_keeps_inferiors_and_refuses_inbox()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);
        await client.CommandAsync("c1", "CREATE blurdybloop");
        await client.CommandAsync("c2", "CREATE foo");
        await client.CommandAsync("c3", "CREATE foo.bar");

        var blurdybloop = await client.CommandAsync("A83", "DELETE blurdybloop");
        var foo = await client.CommandAsync("A84", "DELETE foo");
        var all = await client.CommandAsync("A85", "LIST \"\" *");
        var top = await client.CommandAsync("A86", "LIST \"\" %");
        var inbox = await client.CommandAsync("A87", "DELETE INBOX");
        var missing = await client.CommandAsync("A88", "DELETE blurdybloop");

        Assert.Equal(["A83 OK DELETE completed"], blurdybloop);
        Assert.Equal(["A84 OK DELETE completed"], foo);
        Assert.Contains("* LIST (\\HasNoChildren) \".\" \"foo.bar\"", all);
        Assert.DoesNotContain(all, l => l.EndsWith("\"foo\"", StringComparison.Ordinal) || l.Contains("blurdybloop", StringComparison.Ordinal));
        Assert.Contains(top, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\* LIST \((?=[^)]*\\Noselect)[^)]*\) ""\."" ""foo""$"));
        Assert.StartsWith("A87 NO [CANNOT]", inbox[0]);
        Assert.StartsWith("A88 NO [NONEXISTENT]", missing[0]);
    }

    // RFC 9051 §6.3.6: RENAME blurdybloop sarasoop; RENAME foo zowie renames foo/bar to zowie/bar too.
    // A missing source is [NONEXISTENT], an existing target [ALREADYEXISTS] (§7.1).
    [ContractFact]
    public async Task Rename_example_moves_inferiors()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);
        await client.CommandAsync("c1", "CREATE blurdybloop");
        await client.CommandAsync("c2", "CREATE foo");
        await client.CommandAsync("c3", "CREATE foo.bar");

        var first = await client.CommandAsync("A683", "RENAME blurdybloop sarasoop");
        var second = await client.CommandAsync("A684", "RENAME foo zowie");
        var list = await client.CommandAsync("A685", "LIST \"\" *");
        var missing = await client.CommandAsync("A686", "RENAME blurdybloop x");
        var exists = await client.CommandAsync("A687", "RENAME sarasoop Trash");

        Assert.Equal(["A683 OK RENAME completed"], first);
        Assert.Equal(["A684 OK RENAME completed"], second);
        Assert.Contains("* LIST (\\HasNoChildren) \".\" \"sarasoop\"", list);
        Assert.Contains("* LIST (\\HasChildren) \".\" \"zowie\"", list);
        Assert.Contains("* LIST (\\HasNoChildren) \".\" \"zowie.bar\"", list);
        Assert.DoesNotContain(list, l => l.Contains("\"foo", StringComparison.Ordinal) || l.Contains("blurdybloop", StringComparison.Ordinal));
        Assert.StartsWith("A686 NO [NONEXISTENT]", missing[0]);
        Assert.StartsWith("A687 NO [ALREADYEXISTS]", exists[0]);
    }

    // RFC 9051 §6.3.9: "A101 LIST "" """ -> "* LIST (\Noselect) "/" """; '%' stops at the delimiter, '*' does not;
    // the reference is prefixed to the pattern; INBOX matches case-insensitively.
    [ContractFact]
    public async Task List_examples()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);
        await client.CommandAsync("c1", "CREATE Mail");
        await client.CommandAsync("c2", "CREATE Mail.foo");
        await client.CommandAsync("c3", "CREATE Mail.foo.bar");

        var root = await client.CommandAsync("A101", "LIST \"\" \"\"");
        var percent = await client.CommandAsync("A202", "LIST Mail. %");
        var star = await client.CommandAsync("A203", "LIST Mail. *");
        var inbox = await client.CommandAsync("A204", "LIST \"\" inbox");

        Assert.Equal(["* LIST (\\Noselect) \".\" \"\"", "A101 OK LIST completed"], root);
        Assert.Equal(["* LIST (\\HasChildren) \".\" \"Mail.foo\"", "A202 OK LIST completed"], percent);
        Assert.Equal(["* LIST (\\HasChildren) \".\" \"Mail.foo\"", "* LIST (\\HasNoChildren) \".\" \"Mail.foo.bar\"", "A203 OK LIST completed"], star);
        Assert.Equal(["* LIST (\\HasNoChildren) \".\" \"INBOX\"", "A204 OK LIST completed"], inbox);
    }

    // RFC 9051 §6.3.11: "A042 STATUS blurdybloop (UIDNEXT MESSAGES)" -> "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)".
    [ContractFact]
    public async Task Status_example_and_missing_mailbox()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 3);
        await using var client = await ConformanceSession.LoggedInAsync(server);

        var lines = await client.CommandAsync("A042", "STATUS INBOX (UIDNEXT MESSAGES DELETED SIZE)");
        var missing = await client.CommandAsync("A043", "STATUS blurdybloop (MESSAGES)");
        var bad = await client.CommandAsync("A044", "STATUS INBOX (FROBNICATE)");

        Assert.Equal(2, lines.Count);
        var items = ConformanceSession.StatusItems(lines[0], "INBOX");
        Assert.Equal(4, items["UIDNEXT"]);
        Assert.Equal(3, items["MESSAGES"]);
        Assert.Equal(0, items["DELETED"]);
        Assert.True(items["SIZE"] > 0);
        Assert.Equal(4, items.Count);
        Assert.Equal("A042 OK STATUS completed", lines[1]);
        Assert.Equal(["A043 NO [NONEXISTENT] No such mailbox"], missing);
        Assert.StartsWith("A044 BAD", bad[^1]);
    }

    private const string FredsMessage =
        "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" +
        "From: Fred Foobar <foobar@Blurdybloop.example>\r\n" +
        "Subject: afternoon meeting\r\n" +
        "To: mooch@owatagu.siam.edu.example\r\n" +
        "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
        "\r\n" +
        "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

    // RFC 9051 §6.3.12: "A003 APPEND saved-messages (\Seen) {326}" -> "+ Ready for literal data", the message,
    // "A003 OK APPEND completed" (with [APPENDUID v uid], RFC 4315); a missing mailbox gets NO [TRYCREATE].
    [ContractFact]
    public async Task Append_example_with_a_synchronizing_literal()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);
        await client.CommandAsync("c", "CREATE saved-messages");

        await client.SendAsync("A003 APPEND saved-messages (\\Seen) {" + FredsMessage.Length + "}\r\n");
        var continuation = await client.ReadLineAsync();
        await client.SendAsync(FredsMessage + "\r\n");
        var appended = await client.ReadUntilTaggedAsync("A003");
        var status = await client.CommandAsync("A004", "STATUS saved-messages (MESSAGES UNSEEN)");
        await client.SendAsync("A005 APPEND blurdybloop {" + FredsMessage.Length + "+}\r\n" + FredsMessage + "\r\n");
        var missing = await client.ReadUntilTaggedAsync("A005");

        Assert.StartsWith("+", continuation);
        Assert.Single(appended);
        Assert.Matches(@"^A003 OK \[APPENDUID [1-9]\d* 1\] ", appended[0]);
        var items = ConformanceSession.StatusItems(status[0], "saved-messages");
        Assert.Equal(1, items["MESSAGES"]);
        Assert.Equal(0, items["UNSEEN"]);
        Assert.StartsWith("A005 NO [TRYCREATE]", missing[^1]);
    }

    // RFC 9051 §6.3.12: appending to the selected mailbox SHOULD produce the normal new-message response (EXISTS).
    [ContractFact]
    public async Task Append_to_the_selected_mailbox_reports_exists()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 2);
        await using var client = await ConformanceSession.SelectedAsync(server);

        await client.SendAsync("A003 APPEND INBOX {" + FredsMessage.Length + "+}\r\n" + FredsMessage + "\r\n");
        var lines = await client.ReadUntilTaggedAsync("A003");
        var fetch = await client.CommandAsync("A004", "FETCH 3 BODY.PEEK[HEADER.FIELDS (SUBJECT)]");

        Assert.Equal("* 3 EXISTS", lines[0]);
        Assert.Matches(@"^A003 OK \[APPENDUID \d+ 3\] ", lines[^1]);
        Assert.Contains("Subject: afternoon meeting", fetch);
    }

    // RFC 9051 §6.3.12: the message must be a literal; a quoted string in its place is a syntax error.
    [ContractFact]
    public async Task Append_without_a_literal_is_bad()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);

        var lines = await client.CommandAsync("A003", "APPEND INBOX \"Subject: x\"");

        Assert.Single(lines);
        Assert.StartsWith("A003 BAD", lines[0]);
    }

    // RFC 9051 §6.3.13: "A002 IDLE" -> "+ idling", new mail -> "* 4 EXISTS", "DONE" -> "A002 OK IDLE terminated".
    [ContractFact]
    public async Task Idle_example()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 3);
        await using var client = await ConformanceSession.SelectedAsync(server);

        await client.SendAsync("A002 IDLE\r\n");
        var continuation = await client.ReadLineAsync();
        await server.DeliverAsync(TestMail.Simple("Message 4"));
        var exists = await client.ReadLineAsync();
        await client.SendAsync("DONE\r\n");
        var done = await client.ReadUntilTaggedAsync("A002");

        Assert.StartsWith("+ ", continuation);
        Assert.Equal("* 4 EXISTS", exists);
        Assert.Equal(["A002 OK IDLE terminated"], done);
    }
}
