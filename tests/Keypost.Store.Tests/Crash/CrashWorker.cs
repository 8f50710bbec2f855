using System.Globalization;
using Keypost.Core.Addresses;
using Keypost.Store.Maildir;

namespace Keypost.Store.Tests.Crash;

/// <summary>
/// This test assembly's entry point. Run as <c>dotnet Keypost.Store.Tests.dll crash-worker ROOT flags|expunge|mixed</c>
/// it changes luke's INBOX in a loop (all flags toggled at once; a batch expunged per round; or, as IMAP clients do,
/// one APPEND, a STORE of one flag and an EXPUNGE of one message per round) and prints "round N" after each (and
/// "appended UID" once an APPEND returned), until the test SIGKILLs it: a process stopped mid-change with nothing run
/// after, as a crash or an OOM kill.
/// </summary>
public static class CrashWorker
{
    public static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 3 || args[0] != "crash-worker")
        {
            await Console.Error.WriteLineAsync("usage: crash-worker ROOT flags|expunge|mixed");
            return 2;
        }

        using var store = new MaildirStore(args[1]);
        var inbox = store.OpenAccount(Luke).Get("INBOX");
        for (var round = 1; ; round++)
        {
            var state = await inbox.SnapshotAsync(CancellationToken.None);
            if (args[2] == "flags")
            {
                var all = state.Messages.Select(m => m.Uid).ToHashSet();
                await inbox.ChangeFlagsAsync(all, f => f ^ MessageFlags.Seen, CancellationToken.None);
            }
            else if (args[2] == "mixed")
            {
                // The lowest original message is expunged, a middle one flagged: appended messages are never touched.
                using var message = new MemoryStream(System.Text.Encoding.ASCII.GetBytes($"Subject: appended {round}\r\n\r\nbody\r\n"));
                var (_, uid) = await inbox.AppendAsync(message, MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
                await Console.Out.WriteLineAsync("appended " + uid.ToString(CultureInfo.InvariantCulture));
                await Console.Out.FlushAsync();
                var middle = state.Messages[state.Messages.Count / 3].Uid;
                await inbox.ChangeFlagsAsync(new HashSet<uint> { middle }, f => f ^ MessageFlags.Flagged, CancellationToken.None);
                var first = state.Messages[0].Uid;
                await inbox.ChangeFlagsAsync(new HashSet<uint> { first }, f => f | MessageFlags.Deleted, CancellationToken.None);
                await inbox.ExpungeAsync((u, f) => u == first && f.HasFlag(MessageFlags.Deleted), CancellationToken.None);
            }
            else
            {
                var batch = state.Messages.Take(50).Select(m => m.Uid).ToHashSet();
                await inbox.ChangeFlagsAsync(batch, f => f | MessageFlags.Deleted, CancellationToken.None);
                await inbox.ExpungeAsync(m => m.Flags.HasFlag(MessageFlags.Deleted), CancellationToken.None);
            }

            await Console.Out.WriteLineAsync("round " + round.ToString(CultureInfo.InvariantCulture));
            await Console.Out.FlushAsync();
        }
    }
}
