using System.Globalization;
using System.Text;
using Keypost.Store;

namespace Keypost.Store.Maildir;

/// <summary>
/// The shared state of one Maildir folder in this process: the UID index (file <c>keypost-uids</c>, RFC 9051 §2.3.1.1:
/// UIDs strictly ascending and kept with one UIDVALIDITY across sessions and restarts) and the current messages.
/// Every change goes through here under one lock, so sessions on the same folder never race each other.
/// </summary>
internal sealed class MaildirMailbox
{
    public const string IndexFileName = "keypost-uids";
    private const string IndexHeader = "keypost-uids 1";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly string _path;
    private List<MessageEntry> _messages = [];
    private uint _uidValidity;
    private uint _uidNext = 1;
    private bool _loaded;
    private (DateTime New, DateTime Cur) _stamp;

    public MaildirMailbox(string path)
    {
        _path = path;
    }

    public string FullPath(MessageEntry entry) => Path.Combine(_path, entry.RelativePath);

    public string TmpDirectory => Path.Combine(_path, "tmp");

    public async Task<MailboxState> SnapshotAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            return State();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Changes the flags of the given UIDs by renaming their files; returns the state afterwards.</summary>
    public async Task<MailboxState> ChangeFlagsAsync(IReadOnlySet<uint> uids, Func<MessageFlags, MessageFlags> change, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            for (var i = 0; i < _messages.Count; i++)
            {
                var entry = _messages[i];
                var flags = change(entry.Flags);
                if (!uids.Contains(entry.Uid) || flags == entry.Flags)
                {
                    continue;
                }

                var relative = Path.Combine("cur", MaildirInfo.FileName(entry.BaseName, flags, entry.OtherInfo));
                try
                {
                    File.Move(FullPath(entry), Path.Combine(_path, relative));
                    _messages[i] = entry with { RelativePath = relative, Flags = flags };
                }
                catch (FileNotFoundException)
                {
                    // Removed by another program since the scan: the next scan reports it gone.
                }
            }

            return State();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Deletes the messages <paramref name="which"/> selects; returns their UIDs.</summary>
    public async Task<IReadOnlyList<uint>> ExpungeAsync(Func<MessageEntry, bool> which, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            var removed = _messages.Where(which).ToList();
            foreach (var entry in removed)
            {
                File.Delete(FullPath(entry));
            }

            if (removed.Count > 0)
            {
                DurableFiles.SyncDirectory(Path.Combine(_path, "cur"));
                _messages = _messages.Except(removed).ToList();
                SaveIndex();
            }

            return removed.Select(e => e.Uid).ToList();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Publishes complete, fsynced files from this folder's tmp/ into cur/ with their flags and INTERNALDATE (the
    /// file's mtime); returns their new UIDs in order.
    /// </summary>
    public async Task<(uint UidValidity, IReadOnlyList<uint> Uids)> AddAsync(
        IReadOnlyList<(string TmpPath, MessageFlags Flags, DateTimeOffset Date)> files, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Refresh();
            var uids = new List<uint>();
            foreach (var (tmpPath, flags, date) in files)
            {
                var baseName = Path.GetFileName(tmpPath);
                var relative = Path.Combine("cur", MaildirInfo.FileName(baseName, flags, ""));
                var target = Path.Combine(_path, relative);
                File.SetLastWriteTimeUtc(tmpPath, date.UtcDateTime);
                File.Move(tmpPath, target, overwrite: false);
                var uid = _uidNext++;
                _messages.Add(new MessageEntry(uid, baseName, relative, flags, "", new FileInfo(target).Length, date));
                uids.Add(uid);
            }

            DurableFiles.SyncDirectory(Path.Combine(_path, "cur"));
            SaveIndex();
            return (_uidValidity, uids);
        }
        finally
        {
            _lock.Release();
        }
    }

    private MailboxState State() => new(_uidValidity, _uidNext, _messages.ToArray());

    // Re-reads the directories when they changed. The mtime check is skipped while the directories changed in the
    // last two seconds, as a change within the file system's timestamp granularity would otherwise go unseen.
    private void Refresh()
    {
        if (!_loaded)
        {
            LoadIndex();
            _loaded = true;
        }

        var newDir = Path.Combine(_path, "new");
        var curDir = Path.Combine(_path, "cur");
        var stamp = (Directory.GetLastWriteTimeUtc(newDir), Directory.GetLastWriteTimeUtc(curDir));
        var settled = DateTime.UtcNow - (stamp.Item1 > stamp.Item2 ? stamp.Item1 : stamp.Item2) > TimeSpan.FromSeconds(2);
        if (stamp == _stamp && settled)
        {
            return;
        }

        // Maildir: a reader that has seen a message in new/ moves it to cur/ with an empty info suffix.
        var moved = false;
        foreach (var file in Directory.EnumerateFiles(newDir))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.'))
            {
                continue;
            }

            try
            {
                File.Move(file, Path.Combine(curDir, MaildirInfo.Parse(name).BaseName + ":2,"), overwrite: false);
                moved = true;
            }
            catch (IOException)
            {
                // Taken by another reader or gone: the cur/ listing decides.
            }
        }

        if (moved)
        {
            DurableFiles.SyncDirectory(curDir);
            DurableFiles.SyncDirectory(newDir);
        }

        _stamp = (Directory.GetLastWriteTimeUtc(newDir), Directory.GetLastWriteTimeUtc(curDir));
        Rescan(curDir);
    }

    private void Rescan(string curDir)
    {
        var found = new Dictionary<string, (FileInfo File, MessageFlags Flags, string Other)>(StringComparer.Ordinal);
        foreach (var info in new DirectoryInfo(curDir).EnumerateFiles())
        {
            if (info.Name.StartsWith('.'))
            {
                continue;
            }

            var (baseName, flags, other) = MaildirInfo.Parse(info.Name);
            found.TryAdd(baseName, (info, flags, other));
        }

        var changed = false;
        var next = new List<MessageEntry>(found.Count);
        foreach (var entry in _messages)
        {
            if (found.Remove(entry.BaseName, out var file))
            {
                next.Add(entry with
                {
                    RelativePath = Path.Combine("cur", file.File.Name),
                    Flags = file.Flags,
                    OtherInfo = file.Other,
                    Size = file.File.Length,
                    InternalDate = new DateTimeOffset(file.File.LastWriteTimeUtc, TimeSpan.Zero),
                });
            }
            else
            {
                changed = true;
            }
        }

        // New files get the next UIDs in delivery order (mtime, then the time-based name).
        foreach (var (baseName, file) in found.OrderBy(f => f.Value.File.LastWriteTimeUtc).ThenBy(f => f.Key, StringComparer.Ordinal))
        {
            next.Add(new MessageEntry(_uidNext++, baseName, Path.Combine("cur", file.File.Name), file.Flags, file.Other,
                file.File.Length, new DateTimeOffset(file.File.LastWriteTimeUtc, TimeSpan.Zero)));
            changed = true;
        }

        _messages = next;
        if (changed)
        {
            SaveIndex();
        }
    }

    private void LoadIndex()
    {
        var indexPath = Path.Combine(_path, IndexFileName);
        if (File.Exists(indexPath) && TryParseIndex(File.ReadAllLines(indexPath), out var validity, out var next, out var entries))
        {
            _uidValidity = validity;
            _uidNext = next;
            _messages = entries;
            return;
        }

        // A new (or unreadable) index: a fresh UIDVALIDITY tells clients to forget cached UIDs (RFC 9051 §2.3.1.1).
        _uidValidity = (uint)Math.Max(1, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        _uidNext = 1;
        _messages = [];
        SaveIndex();
    }

    private static bool TryParseIndex(string[] lines, out uint validity, out uint next, out List<MessageEntry> entries)
    {
        validity = 0;
        next = 0;
        entries = [];
        var head = lines.Length > 0 ? lines[0].Split(' ') : [];
        if (head.Length != 4 || head[0] + " " + head[1] != IndexHeader
            || !uint.TryParse(head[2], NumberStyles.None, CultureInfo.InvariantCulture, out validity)
            || !uint.TryParse(head[3], NumberStyles.None, CultureInfo.InvariantCulture, out next) || validity == 0)
        {
            return false;
        }

        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0 || !uint.TryParse(line[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                || uid >= next || (entries.Count > 0 && uid <= entries[^1].Uid))
            {
                return false;
            }

            entries.Add(new MessageEntry(uid, line[(space + 1)..], "", MessageFlags.None, "", 0, DateTimeOffset.UnixEpoch));
        }

        return true;
    }

    // Written to a temporary file, fsynced and renamed, so a crash leaves the old index or the new one.
    private void SaveIndex()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{IndexHeader} {_uidValidity} {_uidNext}\n");
        foreach (var entry in _messages)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{entry.Uid} {entry.BaseName}\n");
        }

        var final = Path.Combine(_path, IndexFileName);
        var temp = final + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(sb.ToString()));
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, final, overwrite: true);
        DurableFiles.SyncDirectory(_path);
    }
}
