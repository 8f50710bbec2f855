using Keypost.Testing;

namespace Keypost.Imap.Tests;

/// <summary>
/// Issue #19: a SEARCH that reads message files over a big mailbox stops when the client closes the connection
/// (RFC 9051 gives a client no other way to cancel a command), instead of reading every file for nobody.
/// </summary>
public sealed class ImapSearchCancellationTests
{
    private const int Messages = 2000;

    [Fact]
    public async Task A_body_search_stops_when_the_client_closes_the_connection()
    {
        using var logs = new RecordingLoggerFactory();
        await using var server = await ImapTestServer.StartAsync(configure: o => new ImapListenerOptions
        {
            HostName = o.HostName, Certificate = o.Certificate, Endpoints = o.Endpoints, AuthFailureDelay = o.AuthFailureDelay, LoggerFactory = logs,
        });
        // Straight into cur/ (as a migration leaves them): building the mailbox must not dominate the test.
        await server.DeliverAsync(TestMail.Simple("first"));
        var cur = Path.Combine(server.LukeMaildir, "cur");
        for (var i = 0; i < Messages; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(cur, $"{1_700_000_000 + i}.M{i}P1.search:2,S"),
                $"Subject: message {i}\r\nFrom: leia@rebel.test\r\n\r\n{new string('x', 2000)}\r\nline {i}\r\n");
        }

        var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        try
        {
            await client.ReadLineAsync();
            await client.LoginAsync();
            var select = await client.CommandAsync("S", "SELECT INBOX");
            Assert.Contains($"* {Messages + 1} EXISTS", select);

            // BODY is not in the index: every file would be read. The client sends it and goes away.
            await client.SendAsync("Q SEARCH BODY \"no such words anywhere\"\r\n");
        }
        finally
        {
            await client.DisposeAsync();
        }

        // A guard against a hang, not a timing assertion: had the SEARCH run to its end, this entry never comes.
        Assert.True(
            await logs.WaitForAsync("the client closed the connection during SEARCH", TimeSpan.FromMinutes(2)),
            "the session did not stop its SEARCH: " + string.Join("\n", logs.Entries.TakeLast(5)));
    }
}
