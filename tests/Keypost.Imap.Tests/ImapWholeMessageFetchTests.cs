using System.Globalization;
using System.Text;

namespace Keypost.Imap.Tests;

/// <summary>
/// Issue #14 item 4: BODY[], BODY.PEEK[] and RFC822 of whole messages are served from the file without MIME parsing,
/// a large message in chunks. What the client receives must be exactly the stored octets, counted in octets
/// (RFC 9051 §4.3 literals), with partial ranges (§6.4.5) and the \Seen side effect as before.
/// </summary>
public sealed class ImapWholeMessageFetchTests
{
    private static async Task<RawImapClient> SelectedAsync(ImapTestServer server)
    {
        var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        Assert.StartsWith("* OK [CAPABILITY ", await client.ReadLineAsync());
        await client.LoginAsync();
        Assert.StartsWith("s OK", (await client.CommandAsync("s", "SELECT INBOX"))[^1]);
        return client;
    }

    private static async Task<string[]> WriteMessagesAsync(ImapTestServer server)
    {
        var large = new StringBuilder("From: Leia <leia@rebel.test>\r\nSubject: plans\r\n\r\n");
        for (var i = 0; large.Length < 700 * 1024; i++)
        {
            // Past the 256 KiB chunk and the 64 KiB flush: the literal crosses several writes.
            large.Append(CultureInfo.InvariantCulture, $"line {i:D6} ").Append('x', 985).Append("\r\n");
        }

        string[] messages =
        [
            "From: Han <han@falcon.test>\r\nSubject: caf\u00e9\r\n\r\nTwo octets for \u00e9, counted as octets.\r\n",
            "Subject: no final line break\r\n\r\nnot a MIME message at all",
            large.ToString(),
        ];
        // Opening the mailbox creates the Maildir.
        var inbox = server.Store.OpenAccount(Keypost.Core.Addresses.EmailAddress.Parse(ImapTestServer.Luke)).Get("INBOX");
        var cur = Path.Combine(server.LukeMaildir, "cur");
        for (var i = 0; i < messages.Length; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(cur, $"{1_790_000_000 + i}.M{i}P1.whole:2,"), messages[i], new UTF8Encoding(false));
        }

        await inbox.SnapshotAsync(CancellationToken.None);
        return messages;
    }

    private static int Octets(string text) => Encoding.UTF8.GetByteCount(text);

    private static string Joined(List<string> lines) => string.Join("\r\n", lines) + "\r\n";

    [Fact]
    public async Task Fetch_of_whole_messages_returns_the_stored_octets_exactly()
    {
        await using var server = await ImapTestServer.StartAsync();
        var messages = await WriteMessagesAsync(server);
        await using var client = await SelectedAsync(server);

        var all = Joined(await client.CommandAsync("f", "UID FETCH 1:* (FLAGS BODY.PEEK[] RFC822.SIZE)"));

        var expected = string.Concat(messages.Select((m, i) =>
            $"* {i + 1} FETCH (UID {i + 1} FLAGS () BODY[] {{{Octets(m)}}}\r\n{m} RFC822.SIZE {Octets(m)})\r\n")) + "f OK FETCH completed\r\n";
        Assert.Equal(expected, all);
        // PEEK: nothing was marked \Seen.
        Assert.Equal(["* 1 FETCH (FLAGS ())", "g OK FETCH completed"], await client.CommandAsync("g", "FETCH 1 FLAGS"));
    }

    [Fact]
    public async Task Partial_ranges_are_cut_in_octets_and_clamped_to_the_message()
    {
        await using var server = await ImapTestServer.StartAsync();
        var messages = await WriteMessagesAsync(server);
        await using var client = await SelectedAsync(server);
        var first = Encoding.UTF8.GetBytes(messages[0]);
        var large = Encoding.UTF8.GetBytes(messages[2]);

        var head = Joined(await client.CommandAsync("a", "FETCH 1 BODY.PEEK[]<40>"));
        var middle = Joined(await client.CommandAsync("b", "FETCH 3 (BODY.PEEK[]<300000.400000> UID)"));
        var past = await client.CommandAsync("c", "FETCH 2 BODY.PEEK[]<100000>");

        // RFC 9051 §6.4.5: <start> alone is not valid syntax for a request, <start.count> is; a start past the end is an empty string.
        Assert.StartsWith("a BAD", head.Split("\r\n")[^2]);
        Assert.Equal(
            $"* 3 FETCH (BODY[]<300000> {{400000}}\r\n{Encoding.UTF8.GetString(large, 300000, 400000)} UID 3)\r\nb OK FETCH completed\r\n",
            middle);
        Assert.StartsWith("c BAD", past[^1]);

        var cut = Joined(await client.CommandAsync("d", "FETCH 1 BODY.PEEK[]<20.1000>"));
        var empty = await client.CommandAsync("e", "FETCH 2 BODY.PEEK[]<100000.10>");
        Assert.Equal($"* 1 FETCH (BODY[]<20> {{{first.Length - 20}}}\r\n{Encoding.UTF8.GetString(first, 20, first.Length - 20)})\r\nd OK FETCH completed\r\n", cut);
        Assert.Equal(["* 2 FETCH (BODY[]<100000> {0}", ")", "e OK FETCH completed"], empty);
    }

    // RFC 9051 §6.4.5: RFC822 and BODY[] (not PEEK) set \Seen, and the new flags go out with the message unasked.
    [Fact]
    public async Task Rfc822_and_body_without_peek_mark_the_message_seen()
    {
        await using var server = await ImapTestServer.StartAsync();
        var messages = await WriteMessagesAsync(server);
        await using var client = await SelectedAsync(server);

        var rfc822 = Joined(await client.CommandAsync("a", "FETCH 1 RFC822"));
        var body = Joined(await client.CommandAsync("b", "UID FETCH 2 BODY[]"));
        var again = Joined(await client.CommandAsync("c", "FETCH 2 BODY[]"));

        Assert.Equal($"* 1 FETCH (FLAGS (\\Seen) RFC822 {{{Octets(messages[0])}}}\r\n{messages[0]})\r\na OK FETCH completed\r\n", rfc822);
        Assert.Equal($"* 2 FETCH (UID 2 FLAGS (\\Seen) BODY[] {{{Octets(messages[1])}}}\r\n{messages[1]})\r\nb OK FETCH completed\r\n", body);
        // Already \Seen: no FLAGS this time.
        Assert.Equal($"* 2 FETCH (BODY[] {{{Octets(messages[1])}}}\r\n{messages[1]})\r\nc OK FETCH completed\r\n", again);
    }

    // A message expunged by another session is skipped (reported at the next NOOP), the others still served.
    [Fact]
    public async Task A_message_expunged_by_another_session_is_skipped()
    {
        await using var server = await ImapTestServer.StartAsync();
        var messages = await WriteMessagesAsync(server);
        await using var client = await SelectedAsync(server);
        await using var other = await SelectedAsync(server);
        Assert.StartsWith("d OK", (await other.CommandAsync("d", "UID STORE 1 +FLAGS.SILENT (\\Deleted)"))[^1]);
        Assert.StartsWith("e OK", (await other.CommandAsync("e", "UID EXPUNGE 1"))[^1]);

        var lines = await client.CommandAsync("f", "FETCH 1:2 BODY.PEEK[]");

        Assert.Equal($"* 2 FETCH (BODY[] {{{Octets(messages[1])}}}\r\n{messages[1]})\r\nf OK FETCH completed\r\n", Joined(lines));
    }
}
