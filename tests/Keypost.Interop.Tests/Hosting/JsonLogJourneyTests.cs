using System.Text.RegularExpressions;
using Keypost.Interop.Tests.Transport;
using Keypost.Testing.Beds;
using Keypost.Testing.Mail;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>
/// An operator follows one message through the JSON log by its queue id: received and queued (the SMTP transaction
/// line, with the queue id, recipients and size), delivered. The queue's own line is at Debug (issue #14: one
/// Information line per accepted message). The addresses are not in any Information line.
/// </summary>
public sealed partial class JsonLogJourneyTests
{
    [Fact]
    public async Task One_message_journey_is_found_in_the_JSON_log_by_its_queue_id()
    {
        // The configuration says text; --log-format json overrides it.
        await using var bed = TestBed.Create("keypost-service");
        var node = await bed.ServeAsync(TestBed.Operated.Then(c => c.Log.Format = "text"), ["--log-format", "json"]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string reply;
        await using (var wire = await SmtpWire.ConnectAsync(node.Inbound, timeout.Token))
        {
            await wire.CommandAsync("EHLO sender.rebel.test", timeout.Token);
            reply = await wire.SendAsync("leia@rebel.test", "luke@jedi.test", "From: <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: journey\r\n\r\nfollow me\r\n", timeout.Token);
            await wire.CommandAsync("QUIT", timeout.Token);
        }

        var queueId = QueuedAs().Match(reply) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException("no queue id in " + reply);
        Assert.NotNull(await Maildirs.WaitForMessageAsync(node.MaildirOf("luke@jedi.test"), t => t.Contains("follow me", StringComparison.Ordinal), TimeSpan.FromSeconds(30)));

        // The delivery line is written after the Maildir file: wait for it (bounded), then read the journey.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        List<System.Text.Json.JsonElement> journey;
        do
        {
            await Task.Delay(100);
            journey = node.LogEntries().Where(e => LogEntry.State(e, "QueueId") == queueId).ToList();
        }
        while (!journey.Any(e => LogEntry.EventId(e) == 2002) && DateTime.UtcNow < deadline);

        var received = Assert.Single(journey, e => LogEntry.EventId(e) == 1001);
        Assert.Equal("250", LogEntry.State(received, "Code"));
        Assert.Equal("inbound", LogEntry.State(received, "Listener"));
        Assert.Equal("127.0.0.1", LogEntry.State(received, "Peer"));
        Assert.Equal("1", LogEntry.State(received, "Recipients"));
        Assert.Equal("78", LogEntry.State(received, "Size"));
        Assert.DoesNotContain(journey, e => LogEntry.EventId(e) == 2001);
        var delivered = Assert.Single(journey, e => LogEntry.EventId(e) == 2002);
        Assert.Equal("delivered", LogEntry.State(delivered, "Result"));
        Assert.Equal("jedi.test", LogEntry.State(delivered, "RecipientDomain"));
        Assert.True(LogEntry.Time(received) <= LogEntry.Time(delivered));

        // Who writes to whom stays out of the Information log.
        Assert.DoesNotContain(node.LogEntries(), e => LogEntry.Level(e) == "Information" && (LogEntry.Message(e).Contains("luke@", StringComparison.Ordinal) || LogEntry.Message(e).Contains("leia@", StringComparison.Ordinal)));
    }

    [GeneratedRegex(@"queued as ([0-9a-f]{32})")]
    private static partial Regex QueuedAs();
}
