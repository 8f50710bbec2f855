using System.Text.RegularExpressions;

namespace Keypost.Imap.Tests.Conformance;

/// <summary>Shared set-up for the RFC 9051 example replays: logged-in raw clients and numbered test messages.</summary>
internal static class ConformanceSession
{
    public static async Task<RawImapClient> LoggedInAsync(ImapTestServer server)
    {
        var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        Assert.StartsWith("* OK [CAPABILITY ", await client.ReadLineAsync());
        await client.LoginAsync();
        return client;
    }

    public static async Task<RawImapClient> SelectedAsync(ImapTestServer server, string mailbox = "INBOX")
    {
        var client = await LoggedInAsync(server);
        Assert.StartsWith("S OK [READ-WRITE]", (await client.CommandAsync("S", "SELECT " + mailbox))[^1]);
        return client;
    }

    /// <summary>Delivers messages "Message 1" .. "Message n" (UIDs 1..n in a fresh INBOX).</summary>
    public static async Task DeliverAsync(ImapTestServer server, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await server.DeliverAsync(TestMail.Simple("Message " + i));
        }
    }

    /// <summary>The sequence numbers of the untagged EXPUNGE responses, in the order sent.</summary>
    public static List<int> Expunges(IEnumerable<string> lines) =>
        lines.Select(l => Regex.Match(l, @"^\* (\d+) EXPUNGE$")).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>
    /// Applies EXPUNGE responses to a client's model of the mailbox (UIDs by sequence number), renumbering after each
    /// one as RFC 9051 §7.5.1 requires.
    /// </summary>
    public static List<uint> Apply(IEnumerable<uint> uids, IEnumerable<int> expunges)
    {
        var model = uids.ToList();
        foreach (var sequence in expunges)
        {
            Assert.InRange(sequence, 1, model.Count);
            model.RemoveAt(sequence - 1);
        }

        return model;
    }

    /// <summary>STATUS item/value pairs from "* STATUS name (A 1 B 2)"; the order of items is the server's choice.</summary>
    public static Dictionary<string, long> StatusItems(string line, string mailbox)
    {
        var match = Regex.Match(line, @"^\* STATUS (?:""" + Regex.Escape(mailbox) + @"""|" + Regex.Escape(mailbox) + @") \(([^)]*)\)$");
        Assert.True(match.Success, line);
        var parts = match.Groups[1].Value.Split(' ');
        var items = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < parts.Length; i += 2)
        {
            items[parts[i]] = long.Parse(parts[i + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        return items;
    }
}
