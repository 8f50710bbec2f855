using Keypost.Testing.Postgres;

namespace Keypost.Imap.Tests.Conformance;

/// <summary>RFC 9051 §6.3's examples over the Maildir store.</summary>
public sealed class Rfc9051MailboxExampleTestsOnMaildir : Rfc9051MailboxExampleTests
{
    protected override Task<ImapTestServer> StartAsync() => ImapTestServer.StartAsync();

    // Issue #19: a message another program (a foreign MDA, a restore script) drops into new/ reaches a session in
    // IDLE through inotify, with no polling interval to wait for. Maildir only: on PostgreSQL every change
    // comes through the store, and LISTEN/NOTIFY carries it.
    [Fact]
    public async Task Idle_reports_a_file_another_program_dropped_into_new()
    {
        await using var server = await StartAsync();
        await ConformanceSession.DeliverAsync(server, 3);
        await using var client = await ConformanceSession.SelectedAsync(server);

        await client.SendAsync("A002 IDLE\r\n");
        var continuation = await client.ReadLineAsync();
        // The Maildir protocol as any other program follows it: write in tmp/, then rename into new/.
        var tmp = Path.Combine(server.LukeMaildir, "tmp", "1700000000.M1P1.elsewhere");
        await File.WriteAllTextAsync(tmp, TestMail.Simple("Dropped in"));
        File.Move(tmp, Path.Combine(server.LukeMaildir, "new", "1700000000.M1P1.elsewhere"));
        var exists = await client.ReadLineAsync();
        await client.SendAsync("DONE\r\n");
        var done = await client.ReadUntilTaggedAsync("A002");
        var fetch = await client.CommandAsync("A003", "FETCH 4 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");

        Assert.StartsWith("+ ", continuation);
        Assert.Equal("* 4 EXISTS", exists);
        Assert.Equal(["A002 OK IDLE terminated"], done);
        Assert.Contains(fetch, l => l.Contains("Subject: Dropped in", StringComparison.Ordinal));
    }
}
