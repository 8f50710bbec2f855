using Keypost.Core.Addresses;
using Keypost.Store;
using Keypost.Store.Maildir;

namespace Keypost.Imap;

/// <summary>
/// Runs the code of a first SELECT and FETCH (FLAGS) once at start, on a throw-away Maildir of two messages, so the
/// first client after a restart does not wait for the JIT: ReadyToRun leaves generic instantiations over value types
/// and async state machines to it (issue #19, docs/benchmarks.md).
/// </summary>
internal static class ImapWarmUp
{
    public static async Task RunAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), "keypost-warm-up-" + Guid.NewGuid().ToString("N"));
        var account = EmailAddress.Parse("warm-up@warm-up.invalid");
        try
        {
            using (var store = new MaildirStore(root))
            {
                var inbox = store.OpenAccount(account).Get("INBOX");
                for (var i = 0; i < 2; i++)
                {
                    using var message = new MemoryStream("Subject: warm-up\r\n\r\nwarm-up\r\n"u8.ToArray());
                    await inbox.AppendAsync(message, MessageFlags.None, DateTimeOffset.UtcNow, cancellationToken);
                }
            }

            // A second store opens the index as a restart does (trusted, UIDs and flags loaded in one aggregate).
            using (var store = new MaildirStore(root))
            {
                var inbox = store.OpenAccount(account).Get("INBOX");
                var update = await inbox.UpdatesSinceAsync(long.MaxValue, cancellationToken);
                var selected = new SelectedMailbox("INBOX", inbox, readOnly: false) { SeenVersion = update.Version };
                selected.Load(update.State);
                var buffer = new byte[4096];
                int span = 0, position = 0, at = 0;
                IndexedFetchWriter.FormatFlags(
                    buffer, 1024, selected.UidSpan, selected.FlagSpan, update.State.Uids, update.State.AllFlags, [(0, (int)selected.Count)], [1, 2], ref span, ref position, ref at);
                var first = new HashSet<uint> { selected.Uids[0] };
                await inbox.ChangeFlagsAsync(first, f => f | MessageFlags.Deleted, cancellationToken);
                await inbox.ExpungeAsync((uid, flags) => flags.HasFlag(MessageFlags.Deleted), cancellationToken);
                await inbox.UpdatesSinceAsync(update.Version, cancellationToken);
            }
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
