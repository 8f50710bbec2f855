using System.Diagnostics;
using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Store.Tests.Crash;

/// <summary>
/// Issue #19: the index survives a SIGKILL in the middle of a flag change and of an expunge. A child process changes
/// the mailbox in a loop and is killed at a random moment, three times over; after each kill the mailbox, opened
/// again, must keep its UIDVALIDITY, give every remaining message the UID it had (none lost, none duplicated, none
/// renumbered), list exactly the files in cur/, and show the flags the file names carry. Flag changes and expunges
/// are committed without fsync (docs/mail-store-index.md "Durability"), which a process kill must not notice; an
/// APPEND that returned must be there after the kill, under the UID it returned.
/// </summary>
public sealed class SigkillTests
{
    private const int Messages = 1000;

    [Fact]
    public Task A_sigkill_during_flag_changes_loses_and_duplicates_no_uid() => KillRepeatedlyAsync("flags");

    [Fact]
    public Task A_sigkill_during_expunges_loses_and_duplicates_no_uid() => KillRepeatedlyAsync("expunge");

    [Fact]
    public Task A_sigkill_during_single_appends_stores_and_expunges_loses_no_acknowledged_message() => KillRepeatedlyAsync("mixed");

    private static async Task KillRepeatedlyAsync(string mode)
    {
        using var dir = new TempDirectory();
        var (validity, original) = await CreateMailboxAsync(dir.Path);
        var random = new Random();
        var appended = new System.Collections.Concurrent.ConcurrentBag<uint>();
        var lastOriginal = original.Values.Max();
        for (var kill = 0; kill < 3; kill++)
        {
            await RunAndKillAsync(dir.Path, mode, random, appended);
            using var store = new MaildirStore(dir.Path);
            var inbox = store.OpenAccount(CrashWorker.Luke).Get("INBOX");
            var state = await inbox.SnapshotAsync(CancellationToken.None);
            var cur = System.IO.Directory.GetFiles(Path.Combine(store.GetMaildirPath(CrashWorker.Luke), "cur")).Select(Path.GetFileName).ToHashSet();

            Assert.Equal(validity, state.UidValidity);
            Assert.Equal(state.Messages.Count, state.Messages.Select(m => m.Uid).Distinct().Count());
            Assert.Equal(cur.Count, state.Messages.Count);
            foreach (var uid in appended)
            {
                Assert.True(state.IndexOf(uid) >= 0, $"the acknowledged APPEND of UID {uid} was lost");
            }

            foreach (var entry in state.Messages)
            {
                if (mode == "mixed" && !original.ContainsKey(entry.BaseName))
                {
                    // An APPEND (acknowledged or cut short after its commit): a UID of its own, above the originals.
                    Assert.True(entry.Uid > lastOriginal);
                }
                else
                {
                    Assert.Equal(original[entry.BaseName], entry.Uid);
                }

                Assert.Contains(Path.GetFileName(entry.RelativePath), cur);
                Assert.Equal(MaildirInfo.Parse(Path.GetFileName(entry.RelativePath)).Flags, entry.Flags);
            }

            if (mode == "flags")
            {
                Assert.Equal(Messages, state.Messages.Count);
            }
        }
    }

    // Files written straight into cur/ (as a migration would leave them), then indexed once.
    private static async Task<(uint Validity, Dictionary<string, uint> Uids)> CreateMailboxAsync(string root)
    {
        using var store = new MaildirStore(root);
        var account = store.OpenAccount(CrashWorker.Luke);
        var cur = Path.Combine(store.GetMaildirPath(CrashWorker.Luke), "cur");
        for (var i = 0; i < Messages; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(cur, $"{1_700_000_000 + i}.M{i}P1.crash:2,"), $"Subject: message {i}\r\n\r\nbody {i}\r\n");
        }

        var state = await account.Get("INBOX").SnapshotAsync(CancellationToken.None);
        Assert.Equal(Messages, state.Messages.Count);
        return (state.UidValidity, state.Messages.ToDictionary(m => m.BaseName, m => m.Uid));
    }

    private static async Task RunAndKillAsync(string root, string mode, Random random, System.Collections.Concurrent.ConcurrentBag<uint> appended)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[typeof(CrashWorker).Assembly.Location, "crash-worker", root, mode])
        {
            psi.ArgumentList.Add(argument);
        }

        var rounds = new SemaphoreSlim(0);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("round", StringComparison.Ordinal) == true)
            {
                rounds.Release();
            }
            else if (e.Data?.StartsWith("appended ", StringComparison.Ordinal) == true)
            {
                appended.Add(uint.Parse(e.Data["appended ".Length..], System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) => errors.Enqueue(e.Data ?? "");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // A guard against a hang, not a timing assertion.
            var round = new Stopwatch();
            for (var i = 0; i < 2; i++)
            {
                Assert.True(await rounds.WaitAsync(TimeSpan.FromMinutes(3)), "the worker made no progress: " + string.Join('\n', errors));
                if (i == 0)
                {
                    round.Restart();
                }
            }

            var length = round.Elapsed;
            // Somewhere inside the next round (the last one's length is the guide): most of a round is the renames
            // or unlinks themselves, then the index commit.
            await Task.Delay(TimeSpan.FromTicks((long)(random.NextDouble() * length.Ticks)));
        }
        finally
        {
            process.Kill(); // SIGKILL on Linux.
            await process.WaitForExitAsync();
        }
    }
}
