using Keypost.Testing.Postgres;
using System.Text.RegularExpressions;

namespace Keypost.Imap.Tests.Conformance;

/// <summary>RFC 9051 §6.4 (selected state): the RFC's examples replayed on the wire.</summary>
public abstract class Rfc9051SelectedExampleTests
{
    /// <summary>A fresh server over the store this suite runs on.</summary>
    protected abstract Task<ImapTestServer> StartAsync();

    // RFC 9051 §6.4.1: "A341 CLOSE" -> "A341 OK CLOSE completed": \Deleted messages are removed silently (no EXPUNGE).
    [ContractFact]
    public async Task Close_expunges_silently()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 3);
        await using var client = await ConformanceSession.SelectedAsync(server);
        await client.CommandAsync("a", "STORE 2 +FLAGS.SILENT (\\Deleted)");

        var close = await client.CommandAsync("A341", "CLOSE");
        var fetch = await client.CommandAsync("b", "FETCH 1 FLAGS");
        var status = await client.CommandAsync("c", "STATUS INBOX (MESSAGES)");

        Assert.Equal(["A341 OK CLOSE completed"], close);
        Assert.StartsWith("b BAD", fetch[^1]);
        Assert.Equal(2, ConformanceSession.StatusItems(status[0], "INBOX")["MESSAGES"]);
    }

    // RFC 9051 §6.4.2: "A342 UNSELECT" -> "A342 OK Unselect completed": like CLOSE but nothing is expunged.
    [ContractFact]
    public async Task Unselect_keeps_deleted_messages()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 3);
        await using var client = await ConformanceSession.SelectedAsync(server);
        await client.CommandAsync("a", "STORE 2 +FLAGS.SILENT (\\Deleted)");

        var unselect = await client.CommandAsync("A342", "UNSELECT");
        var fetch = await client.CommandAsync("b", "FETCH 1 FLAGS");
        var status = await client.CommandAsync("c", "STATUS INBOX (MESSAGES DELETED)");

        Assert.Equal(["A342 OK UNSELECT completed"], unselect);
        Assert.StartsWith("b BAD", fetch[^1]);
        var items = ConformanceSession.StatusItems(status[0], "INBOX");
        Assert.Equal(3, items["MESSAGES"]);
        Assert.Equal(1, items["DELETED"]);
    }

    // RFC 9051 §6.4.3 and §7.5.1: with messages 3, 4, 7 and 11 \Deleted, "A202 EXPUNGE" -> "* 3 EXPUNGE", "* 3 EXPUNGE",
    // "* 5 EXPUNGE", "* 8 EXPUNGE": each response renumbers the rest. Any order the server picks must, applied one by one,
    // remove exactly those four messages.
    [ContractFact]
    public async Task Expunge_example_renumbers_after_each_response()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 11);
        await using var client = await ConformanceSession.SelectedAsync(server);
        Assert.Equal(["a OK STORE completed"], await client.CommandAsync("a", "STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)"));

        var lines = await client.CommandAsync("A202", "EXPUNGE");
        var uids = await client.CommandAsync("b", "FETCH 1:* (UID)");

        var expunges = ConformanceSession.Expunges(lines);
        Assert.Equal(4, expunges.Count);
        Assert.Equal(lines.Count - 1, expunges.Count);
        Assert.Equal([1u, 2, 5, 6, 8, 9, 10], ConformanceSession.Apply(Enumerable.Range(1, 11).Select(i => (uint)i), expunges));
        Assert.Equal("A202 OK EXPUNGE completed", lines[^1]);
        Assert.Equal(
            ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 5)", "* 4 FETCH (UID 6)", "* 5 FETCH (UID 8)", "* 6 FETCH (UID 9)", "* 7 FETCH (UID 10)", "b OK FETCH completed"],
            uids);
    }

    // RFC 9051 §6.4.3: EXPUNGE on a mailbox opened with EXAMINE fails: nothing may change it.
    [ContractFact]
    public async Task Expunge_in_a_read_only_mailbox_is_refused()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 1);
        await using var client = await ConformanceSession.LoggedInAsync(server);
        await client.CommandAsync("a", "EXAMINE INBOX");

        var lines = await client.CommandAsync("A202", "EXPUNGE");

        Assert.Single(lines);
        Assert.StartsWith("A202 NO", lines[0]);
    }

    // RFC 9051 §6.4.9: "UID EXPUNGE 3000:3002" removes only \Deleted messages whose UIDs are in the set.
    [ContractFact]
    public async Task Uid_expunge_removes_only_the_named_uids()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 4);
        await using var client = await ConformanceSession.SelectedAsync(server);
        await client.CommandAsync("a", "STORE 1:4 +FLAGS.SILENT (\\Deleted)");

        var lines = await client.CommandAsync("A003", "UID EXPUNGE 2:3");

        Assert.Equal(["* 3 EXPUNGE", "* 2 EXPUNGE", "A003 OK EXPUNGE completed"], lines.Where(l => !l.Contains("FETCH", StringComparison.Ordinal)));
        Assert.Equal([1u, 4], ConformanceSession.Apply([1u, 2, 3, 4], ConformanceSession.Expunges(lines)));
    }

    private static async Task<RawImapClient> SearchableAsync(ImapTestServer server)
    {
        // Five messages; 2, 4 and 5 flagged; 4 from Smith.
        await ConformanceSession.DeliverAsync(server, 3);
        await server.DeliverAsync(TestMail.Simple("Message 4").Replace("Leia Organa <leia@rebel.test>", "Jane Smith <smith@rebel.test>", StringComparison.Ordinal));
        await server.DeliverAsync(TestMail.Simple("Message 5", "the string is here"));
        var client = await ConformanceSession.SelectedAsync(server);
        Assert.Equal(["f OK STORE completed"], await client.CommandAsync("f", "STORE 2,4:5 +FLAGS.SILENT (\\Flagged)"));
        return client;
    }

    // RFC 9051 §6.4.4: "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"" ->
    // "* ESEARCH (TAG "A282") MIN 2 COUNT 3"; "A283 SEARCH RETURN () FLAGGED ..." -> "* ESEARCH (TAG "A283") ALL 2,10:11";
    // "A284 SEARCH TEXT "string not in mailbox"" -> "* ESEARCH (TAG "A284")".
    [ContractFact]
    public async Task Search_examples_with_esearch()
    {
        await using var server = await StartAsync();
        await using var client = await SearchableAsync(server);
        await client.CommandAsync("e", "ENABLE IMAP4rev2");

        var minCount = await client.CommandAsync("A282", "SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
        var all = await client.CommandAsync("A283", "SEARCH RETURN () FLAGGED SINCE 1-Feb-1994");
        var none = await client.CommandAsync("A284", "SEARCH TEXT \"string not in mailbox\"");
        var uid = await client.CommandAsync("A285", "UID SEARCH RETURN (COUNT) FLAGGED");

        Assert.Equal(["* ESEARCH (TAG \"A282\") MIN 2 COUNT 2", "A282 OK SEARCH completed"], minCount);
        Assert.Equal(["* ESEARCH (TAG \"A283\") ALL 2,4:5", "A283 OK SEARCH completed"], all);
        Assert.Equal(["* ESEARCH (TAG \"A284\")", "A284 OK SEARCH completed"], none);
        Assert.Equal(["* ESEARCH (TAG \"A285\") UID COUNT 3", "A285 OK SEARCH completed"], uid);
    }

    // RFC 9051 §6.4.4: "A285 SEARCH CHARSET UTF-8 TEXT {12}" (a literal search key) and "A286 SEARCH CHARSET WHOIS ..." ->
    // "A286 NO [BADCHARSET (UTF-8)] ..."; an unknown search key is a syntax error.
    [ContractFact]
    public async Task Search_with_a_literal_an_unknown_charset_and_bad_syntax()
    {
        await using var server = await StartAsync();
        await using var client = await SearchableAsync(server);

        await client.SendAsync("A285 SEARCH CHARSET UTF-8 TEXT {6}\r\n");
        var continuation = await client.ReadLineAsync();
        await client.SendAsync("string\r\n");
        var literal = await client.ReadUntilTaggedAsync("A285");
        var whois = await client.CommandAsync("A286", "SEARCH CHARSET WHOIS TEXT foo");
        var bad = await client.CommandAsync("A287", "SEARCH FROBNICATE");

        Assert.StartsWith("+", continuation);
        Assert.Equal(["* SEARCH 5", "A285 OK SEARCH completed"], literal);
        Assert.Matches(@"^A286 NO \[BADCHARSET \((?=[^)]*UTF-8)[^)]*\)\]", whois[^1]);
        Assert.StartsWith("A287 BAD", bad[^1]);
    }

    // RFC 9051 §6.4.5: "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])" -> "* 2 FETCH ....", "* 3 FETCH ....",
    // "* 4 FETCH ....", "A654 OK FETCH completed". BODY[...] (not .PEEK) sets \Seen, which FLAGS then shows.
    [ContractFact]
    public async Task Fetch_example_header_fields_and_flags()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 5);
        await using var client = await ConformanceSession.SelectedAsync(server);
        const string headers = "From: Leia Organa <leia@rebel.test>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\n";

        var lines = await client.CommandAsync("A654", "FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])");

        var starts = lines.Where(l => l.StartsWith("* ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, starts.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Matches(@"^\* " + (i + 2) + @" FETCH \((?=.*FLAGS \(\\Seen\))(?=.*BODY\[HEADER\.FIELDS \(DATE FROM\)\] \{" + headers.Length + @"\}$)", starts[i]);
        }

        Assert.Equal(["From: Leia Organa <leia@rebel.test>", "Date: Mon, 02 Nov 2026 10:00:00 +0000", "", ")"], lines.Skip(1).Take(4));
        Assert.Equal("A654 OK FETCH completed", lines[^1]);
        var flags = await client.CommandAsync("b", "FETCH 1:5 FLAGS");
        Assert.Equal(["* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS (\\Seen))", "* 3 FETCH (FLAGS (\\Seen))", "* 4 FETCH (FLAGS (\\Seen))", "* 5 FETCH (FLAGS ())", "b OK FETCH completed"], flags);
    }

    // RFC 9051 §6.4.5 / §7.5.2: UID, RFC822.SIZE and INTERNALDATE answer in their documented forms.
    [ContractFact]
    public async Task Fetch_uid_size_and_internaldate()
    {
        await using var server = await StartAsync();
        var message = TestMail.Simple("Sized");
        await server.DeliverAsync(message);
        await using var client = await ConformanceSession.SelectedAsync(server);

        var lines = await client.CommandAsync("a", "FETCH 1 (UID RFC822.SIZE INTERNALDATE)");

        Assert.Equal(2, lines.Count);
        Assert.Matches(@"^\* 1 FETCH \((?=.*\bUID 1\b)(?=.*RFC822\.SIZE " + message.Length + @"\b)(?=.*INTERNALDATE ""[ 0-3]\d-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"").*\)$", lines[0]);
    }

    // RFC 9051 §6.4.5 and §9: a malformed FETCH (no items, unknown item, sequence number 0) is BAD.
    [ContractFact]
    public async Task Fetch_syntax_errors_are_bad()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 1);
        await using var client = await ConformanceSession.SelectedAsync(server);

        var noItems = await client.CommandAsync("a", "FETCH 1");
        var unknown = await client.CommandAsync("b", "FETCH 1 (FROBNICATE)");
        var zero = await client.CommandAsync("c", "FETCH 0 FLAGS");
        var unclosed = await client.CommandAsync("d", "FETCH 1 (FLAGS");

        Assert.Equal(["a", "b", "c", "d"], new[] { noItems, unknown, zero, unclosed }.Select(l => Assert.Single(l)[..1]));
        Assert.All(new[] { noItems, unknown, zero, unclosed }, l => Assert.Matches(@"^[a-d] BAD ", l[0]));
    }

    // RFC 9051 §6.4.6 (flags are a set; their order is the server's): "A003 STORE 2:4 +FLAGS (\Deleted)" -> "* 2 FETCH (FLAGS (\Deleted \Seen))" for 2, 3 and 4, then
    // "A003 OK STORE completed"; with .SILENT no FETCH is sent.
    [ContractFact]
    public async Task Store_example_and_silent()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 5);
        await using var client = await ConformanceSession.SelectedAsync(server);
        await client.CommandAsync("s", "STORE 2:4 FLAGS.SILENT (\\Seen)");

        var add = await client.CommandAsync("A003", "STORE 2:4 +FLAGS (\\Deleted)");
        var silent = await client.CommandAsync("A004", "STORE 2:4 -FLAGS.SILENT (\\Deleted)");
        var replace = await client.CommandAsync("A005", "STORE 5 FLAGS (\\Answered \\Flagged)");

        Assert.Equal(4, add.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Matches(@"^\* " + (i + 2) + @" FETCH \((UID " + (i + 2) + @" )?FLAGS \((?=[^)]*\\Deleted)(?=[^)]*\\Seen)\\\w+ \\\w+\)\)$", add[i]);
        }

        Assert.Equal("A003 OK STORE completed", add[3]);
        Assert.Equal(["A004 OK STORE completed"], silent);
        Assert.Matches(@"^\* 5 FETCH \((UID 5 )?FLAGS \(\\Answered \\Flagged\)\)$", replace[0]);
        Assert.Equal("A005 OK STORE completed", replace[^1]);
    }

    // RFC 9051 §6.4.6: an unknown data item name is a syntax error.
    [ContractFact]
    public async Task Store_with_an_unknown_item_is_bad()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 1);
        await using var client = await ConformanceSession.SelectedAsync(server);

        var lines = await client.CommandAsync("A003", "STORE 1 FLAGZ (\\Seen)");

        Assert.Single(lines);
        Assert.StartsWith("A003 BAD", lines[0]);
    }

    // RFC 9051 §6.4.7: "A003 COPY 2:4 MEETING" -> "A003 OK COPY completed" ([COPYUID v 2:4 1:3], RFC 4315 §3);
    // a missing destination is NO [TRYCREATE].
    [ContractFact]
    public async Task Copy_example_and_trycreate()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 5);
        await using var client = await ConformanceSession.SelectedAsync(server);
        await client.CommandAsync("c", "CREATE MEETING");

        var copy = await client.CommandAsync("A003", "COPY 2:4 MEETING");
        var missing = await client.CommandAsync("A004", "COPY 2:4 blurdybloop");
        var status = await client.CommandAsync("A005", "STATUS MEETING (MESSAGES)");
        var exists = await client.CommandAsync("A006", "NOOP");

        Assert.Single(copy);
        Assert.Matches(@"^A003 OK \[COPYUID [1-9]\d* 2:4 1:3\] ", copy[0]);
        Assert.Single(missing);
        Assert.StartsWith("A004 NO [TRYCREATE]", missing[0]);
        Assert.Equal(3, ConformanceSession.StatusItems(status[0], "MEETING")["MESSAGES"]);
        // COPY leaves the source alone.
        Assert.Equal(["A006 OK NOOP completed"], exists);
    }

    // RFC 9051 §6.4.8 (RFC 6851 §4.6): "a UID MOVE 42:69 foo" -> "* OK [COPYUID 432432 42:69 1202:1229]",
    // "* 22 EXPUNGE" ..., "a OK Done".
    [ContractFact]
    public async Task Move_example_reports_copyuid_then_expunges()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 5);
        await using var client = await ConformanceSession.SelectedAsync(server);
        await client.CommandAsync("c", "CREATE foo");

        var lines = await client.CommandAsync("a", "UID MOVE 2:3,5 foo");
        var missing = await client.CommandAsync("b", "MOVE 1 blurdybloop");
        var left = await client.CommandAsync("d", "FETCH 1:* (UID)");

        Assert.Matches(@"^\* OK \[COPYUID [1-9]\d* 2:3,5 1:3\]", lines[0]);
        var expunges = ConformanceSession.Expunges(lines);
        Assert.Equal(3, expunges.Count);
        Assert.Equal(lines.Count - 2, expunges.Count);
        Assert.Equal([1u, 4], ConformanceSession.Apply([1u, 2, 3, 4, 5], expunges));
        Assert.Equal("a OK MOVE completed", lines[^1]);
        Assert.Equal(["b NO [TRYCREATE] No such mailbox"], missing);
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 4)", "d OK FETCH completed"], left);
    }

    // RFC 9051 §6.4.9: "A999 UID FETCH 4827313:4828442 FLAGS" -> "* 23 FETCH (FLAGS (\Seen) UID 4827313)": sequence numbers
    // in the response, the UID always included; UID SEARCH answers with UIDs; "n:*" always includes the last message.
    [ContractFact]
    public async Task Uid_commands_answer_with_uids()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 4);
        await using var client = await ConformanceSession.SelectedAsync(server);
        // Expunge message 1 so UIDs and sequence numbers differ by one.
        await client.CommandAsync("x", "STORE 1 +FLAGS.SILENT (\\Deleted)");
        await client.CommandAsync("y", "EXPUNGE");

        var fetch = await client.CommandAsync("A999", "UID FETCH 3:4 FLAGS");
        var beyond = await client.CommandAsync("B999", "UID FETCH 900:* FLAGS");
        var search = await client.CommandAsync("C999", "UID SEARCH ALL");
        var plain = await client.CommandAsync("D999", "SEARCH ALL");
        var store = await client.CommandAsync("E999", "UID STORE 3 +FLAGS (\\Flagged)");
        var copy = await client.CommandAsync("F999", "UID COPY 4 Trash");
        var unknown = await client.CommandAsync("G999", "UID FROBNICATE 1");

        Assert.Equal(3, fetch.Count);
        Assert.Matches(@"^\* 2 FETCH \((?=.*\bUID 3\b)(?=.*FLAGS \(\)).*\)$", fetch[0]);
        Assert.Matches(@"^\* 3 FETCH \((?=.*\bUID 4\b)(?=.*FLAGS \(\)).*\)$", fetch[1]);
        Assert.Matches(@"^\* 3 FETCH \((?=.*\bUID 4\b).*\)$", Assert.Single(beyond, l => l.StartsWith("* ", StringComparison.Ordinal)));
        Assert.Equal("* SEARCH 2 3 4", search[0]);
        Assert.Equal("* SEARCH 1 2 3", plain[0]);
        Assert.Matches(@"^\* 2 FETCH \((?=.*\bUID 3\b)(?=.*FLAGS \(\\Flagged\)).*\)$", store[0]);
        Assert.Matches(@"^F999 OK \[COPYUID [1-9]\d* 4 1\] ", copy[^1]);
        Assert.StartsWith("G999 BAD", unknown[^1]);
    }

    // RFC 9051 §6.4: selected-state commands outside the selected state are BAD (§7.1.5: not valid in this state).
    [ContractFact]
    public async Task Selected_state_commands_without_a_selected_mailbox_are_bad()
    {
        await using var server = await StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);

        foreach (var command in new[] { "FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "EXPUNGE", "CLOSE", "UNSELECT", "SEARCH ALL", "COPY 1 Trash", "MOVE 1 Trash", "UID FETCH 1 FLAGS" })
        {
            var lines = await client.CommandAsync("z", command);
            Assert.Single(lines);
            Assert.StartsWith("z BAD ", lines[0]);
        }
    }
}
