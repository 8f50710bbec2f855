namespace Keypost.Store.Maildir;

/// <summary>
/// The modification times of a Maildir's new/ and cur/ (100 ns ticks, UTC): any file created, renamed or removed in
/// them moves these, so equal stamps mean nobody changed the listings since the index recorded them.
/// </summary>
internal readonly record struct DirectoryStamp(long New, long Cur)
{
    public static DirectoryStamp Read(string maildir) => new(
        Directory.GetLastWriteTimeUtc(Path.Combine(maildir, "new")).Ticks,
        Directory.GetLastWriteTimeUtc(Path.Combine(maildir, "cur")).Ticks);
}
