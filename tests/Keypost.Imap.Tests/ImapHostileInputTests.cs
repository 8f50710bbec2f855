namespace Keypost.Imap.Tests;

/// <summary>
/// The reproducers of issue #20: each gets a correct tagged answer, and the session (and the process) goes on.
/// </summary>
public sealed class ImapHostileInputTests
{
    private static async Task<RawImapClient> SelectedAsync(ImapTestServer server)
    {
        var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        Assert.StartsWith("* OK [CAPABILITY ", await client.ReadLineAsync());
        await client.LoginAsync();
        Assert.StartsWith("s OK", (await client.CommandAsync("s", "SELECT INBOX"))[^1]);
        return client;
    }

    private static async Task AssertStillServesAsync(RawImapClient client)
    {
        var fetch = await client.CommandAsync("z", "FETCH 1 (UID FLAGS)");
        Assert.StartsWith("z OK", fetch[^1]);
        Assert.Contains(fetch, l => l.StartsWith("* 1 FETCH (UID ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("(", 11_400, "")]
    [InlineData("NOT ", 16_000, "ALL")]
    [InlineData("OR ALL ", 9_000, "ALL")]
    public async Task Deeply_nested_search_is_a_tagged_bad_not_a_stack_overflow(string unit, int count, string tail)
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await using var client = await SelectedAsync(server);

        var lines = await client.CommandAsync("a", "SEARCH " + string.Concat(Enumerable.Repeat(unit, count)) + tail);

        Assert.StartsWith("a BAD", lines[^1]);
        await AssertStillServesAsync(client);
    }

    [Fact]
    public async Task Search_nesting_within_the_limit_still_works()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await using var client = await SelectedAsync(server);

        var lines = await client.CommandAsync("a", "SEARCH " + new string('(', 20) + "NOT NOT ALL" + new string(')', 20));

        Assert.Equal("* SEARCH 1", lines[0]);
        Assert.StartsWith("a OK", lines[^1]);
    }

    [Theory]
    [InlineData("(ALL)")]
    [InlineData("(FAST)")]
    [InlineData("(FULL)")]
    [InlineData("(UID ALL)")]
    [InlineData("(FLAGS FULL UID)")]
    public async Task Fetch_macros_inside_a_list_are_a_syntax_error(string items)
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await using var client = await SelectedAsync(server);

        var lines = await client.CommandAsync("a", "FETCH 1 " + items);

        Assert.StartsWith("a BAD", lines[^1]);
        await AssertStillServesAsync(client);
    }

    [Theory]
    [InlineData("ALL", "ENVELOPE (")]
    [InlineData("FAST", "RFC822.SIZE ")]
    [InlineData("FULL", "BODY (")]
    public async Task Bare_fetch_macros_still_expand(string macro, string expected)
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await using var client = await SelectedAsync(server);

        var lines = await client.CommandAsync("a", "FETCH 1 " + macro);

        Assert.StartsWith("a OK", lines[^1]);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_message_that_is_not_rfc5322_is_still_served()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await SelectedAsync(server);
        await client.SendAsync("a APPEND INBOX {5+}\r\nabcde\r\n");
        Assert.StartsWith("a OK", (await client.ReadUntilTaggedAsync("a"))[^1]);
        Assert.StartsWith("n OK", (await client.CommandAsync("n", "NOOP"))[^1]);

        var envelope = await client.CommandAsync("b", "FETCH 1 (ENVELOPE BODYSTRUCTURE)");
        var body = await client.CommandAsync("c", "FETCH 1 BODY.PEEK[]");
        var header = await client.CommandAsync("d", "FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)");
        var search = await client.CommandAsync("e", "SEARCH HEADER Subject x");
        var text = await client.CommandAsync("f", "SEARCH TEXT abc");

        Assert.StartsWith("b OK", envelope[^1]);
        Assert.Contains("ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)", envelope[0], StringComparison.Ordinal);
        Assert.Contains("BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1)", envelope[0], StringComparison.Ordinal);
        Assert.StartsWith("c OK", body[^1]);
        Assert.Equal("abcde)", body[1]);
        Assert.StartsWith("d OK", header[^1]);
        Assert.Contains("BODY[HEADER] {0}", header[0], StringComparison.Ordinal);
        Assert.Equal(["* SEARCH", "e OK SEARCH completed"], search);
        Assert.Equal("* SEARCH 1", text[0]);
        await AssertStillServesAsync(client);
    }

    [Fact]
    public async Task A_multipart_without_parts_gets_a_bodystructure_with_one_empty_part()
    {
        // RFC 9051 §9: body-type-mpart = 1*body SP media-subtype; "( \"ENCRYPTED\" ...)" with no body breaks
        // clients (MailKit refuses the whole FETCH response).
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(
            "From: leia@rebel.test\r\nTo: luke@jedi.test\r\nSubject: empty\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b--\r\n");
        await using var client = await SelectedAsync(server);

        var lines = await client.CommandAsync("a", "FETCH 1 (BODY BODYSTRUCTURE)");

        Assert.StartsWith("a OK", lines[^1]);
        Assert.Contains("BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0) \"ENCRYPTED\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0) \"ENCRYPTED\")", lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a1 *")]
    [InlineData("a1 (")]
    [InlineData("a1 ")]
    [InlineData("a1")]
    public async Task A_readable_tag_gets_a_tagged_bad(string line)
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await using var client = await SelectedAsync(server);

        await client.SendAsync(line + "\r\n");

        Assert.StartsWith("a1 BAD", await client.ReadLineAsync());
        await AssertStillServesAsync(client);
    }

    [Fact]
    public async Task An_unreadable_tag_gets_an_untagged_bad()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await using var client = await SelectedAsync(server);

        await client.SendAsync("* NOOP\r\n");

        Assert.StartsWith("* BAD", await client.ReadLineAsync());
        await AssertStillServesAsync(client);
    }

    [Fact]
    public async Task Mime_nested_beyond_the_limit_is_served()
    {
        await using var server = await ImapTestServer.StartAsync();
        const int depth = 5000;
        var message = new System.Text.StringBuilder("From: a@b.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
        for (var i = 0; i < depth; i++)
        {
            message.Append("Content-Type: multipart/mixed; boundary=\"b").Append(i).Append("\"\r\n\r\n--b").Append(i).Append("\r\n");
        }

        message.Append("Content-Type: text/plain\r\n\r\nbottom\r\n");
        for (var i = depth - 1; i >= 0; i--)
        {
            message.Append("--b").Append(i).Append("--\r\n");
        }

        await server.DeliverAsync(message.ToString());
        await using var client = await SelectedAsync(server);

        var lines = await client.CommandAsync("a", "FETCH 1 (BODYSTRUCTURE ENVELOPE)");

        Assert.StartsWith("a OK", lines[^1]);
        await AssertStillServesAsync(client);
    }

    [Fact]
    public async Task A_failure_inside_a_command_is_a_tagged_serverbug_and_the_session_goes_on()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();
        server.Accounts.Failure = new InvalidOperationException("accounts store broke");

        var failed = await client.CommandAsync("a", "LOGIN " + ImapTestServer.Luke + " " + ImapTestServer.LukePassword);
        server.Accounts.Failure = null;

        Assert.Equal(["a NO [SERVERBUG] Internal error in this command"], failed);
        await client.LoginAsync();
        Assert.StartsWith("s OK", (await client.CommandAsync("s", "SELECT INBOX"))[^1]);
    }

    [Fact]
    public async Task Client_text_quoted_in_a_bad_cannot_forge_response_lines()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await using var client = await SelectedAsync(server);
        const string forged = "x\r\n* BYE forged\r\na OK forged";

        await client.SendAsync("a SEARCH SENTON {" + forged.Length + "+}\r\n" + forged + "\r\n");
        var lines = await client.ReadUntilTaggedAsync("a");

        var bad = Assert.Single(lines);
        Assert.StartsWith("a BAD bad date x??* BYE forged??a OK forged", bad);
        await AssertStillServesAsync(client);
    }
}
