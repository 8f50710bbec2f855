using System.Globalization;
using System.Text;

namespace Keypost.Store.Maildir;

/// <summary>
/// Hands out the UIDVALIDITY of each new mailbox index of one account: the clock's seconds, but always above the
/// last value handed out, which is kept in <see cref="FileName"/> at the top of the account's Maildir. The clock
/// alone repeats itself when a folder is deleted and created again within one second, and a client would then
/// take the new folder's UIDs for the old one's (RFC 9051 §2.3.1.1: UIDs must not be reused under one
/// UIDVALIDITY; a mailbox whose UIDs did not persist needs a greater UIDVALIDITY).
/// </summary>
internal static class UidValidityCounter
{
    public const string FileName = "keypost-uidvalidity";

    /// <summary>The next UIDVALIDITY for a mailbox of the account whose Maildir is <paramref name="accountMaildir"/>.</summary>
    public static uint Next(string accountMaildir, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var path = Path.Combine(accountMaildir, FileName);
        for (var attempt = 0; ; attempt++)
        {
            FileStream file;
            var created = !File.Exists(path);
            try
            {
                // FileShare.None takes an exclusive lock (flock on Linux): another process, or another mailbox of
                // this account in this process, waits its turn rather than reading the same last value.
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 500 && File.Exists(path))
            {
                Thread.Sleep(10);
                continue;
            }

            using (file)
            {
                var last = Read(file);
                var now = (uint)Math.Clamp(time.GetUtcNow().ToUnixTimeSeconds(), 1, uint.MaxValue);
                // A full counter (year 2106, or a file at the maximum) cannot grow: the clock is all that is left.
                var next = last < uint.MaxValue ? Math.Max(now, last + 1) : now;
                file.SetLength(0);
                file.Write(Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture) + "\n"));
                file.Flush(flushToDisk: true);
                if (created)
                {
                    DurableFiles.SyncDirectory(accountMaildir);
                }

                return next;
            }
        }
    }

    // A missing, empty or damaged file (a crash while it was rewritten) counts as nothing handed out yet.
    private static uint Read(FileStream file)
    {
        Span<byte> buffer = stackalloc byte[32];
        var length = file.Read(buffer);
        var text = Encoding.ASCII.GetString(buffer[..length]).Trim();
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last : 0;
    }
}
