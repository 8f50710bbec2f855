using System.Globalization;
using System.Text;
using Keypost.Store;

namespace Keypost.Store.Maildir;

/// <summary>
/// The shared state of one Maildir folder in this process: the UID index (file <c>keypost-uids</c>, RFC 9051 §2.3.1.1:
/// UIDs strictly ascending and kept with one UIDVALIDITY across sessions and restarts) and the current messages.
/// Every change goes through here under one lock, so sessions on the same folder never race each other.
/// </summary>
internal sealed class MaildirMailbox : IMailbox, IDisposable
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
    private long _version;
    private bool _dirty;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Watchers? _watcher;

    public MaildirMailbox(string path)
    {
        _path = path;
    }

    public long Version => Interlocked.Read(ref _version);

    public string FullPath(MessageEntry entry) => Path.Combine(_path, entry.RelativePath);

    /// <summary>
    /// Something changed the directories behind our back (a delivery through the store, or another program seen by
    /// inotify): the next read rescans whatever the directory timestamps say, and waiters wake up.
    /// </summary>
    public void MarkChanged()
    {
        Volatile.Write(ref _dirty, true);
        Signal();
    }

    public Stream? OpenMessage(MessageEntry entry)
    {
        try
        {
            return new FileStream(FullPath(entry), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 16384, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public async Task WaitForChangeAsync(long seen, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_path)
        {
            // inotify (FileSystemWatcher on Linux) catches files another program drops into new/ or renames in cur/,
            // so IDLE needs no polling; started by the first waiter and kept while the mailbox is in use.
            _watcher ??= StartWatcher();
            changed = _changed.Task;
        }

        if (Version != seen)
        {
            return;
        }

        await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        lock (_path)
        {
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    private Watchers? StartWatcher()
    {
        // One non-recursive watcher each on new/ and cur/: INBOX's directory also holds the Maildir++ folders,
        // whose trees a recursive watch would cover too. tmp/ (unfinished files) and the index are not messages.
        FileSystemWatcher? newWatcher = null;
        try
        {
            newWatcher = Watch(Path.Combine(_path, "new"));
            return new Watchers(newWatcher, Watch(Path.Combine(_path, "cur")));
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // No inotify (limits reached): changes by other programs show at the next command instead.
            newWatcher?.Dispose();
            return null;
        }
    }

    private FileSystemWatcher Watch(string directory)
    {
        var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.FileName };
        watcher.Created += (_, _) => MarkChanged();
        watcher.Deleted += (_, _) => MarkChanged();
        watcher.Renamed += (_, _) => MarkChanged();
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private sealed class Watchers(FileSystemWatcher newDirectory, FileSystemWatcher curDirectory) : IDisposable
    {
        public void Dispose()
        {
            newDirectory.Dispose();
            curDirectory.Dispose();
        }
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_path)
        {
            Interlocked.Increment(ref _version);
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

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
            var changed = false;
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
                    changed = true;
                }
                catch (FileNotFoundException)
                {
                    // Removed by another program since the scan: the next scan reports it gone.
                }
            }

            if (changed)
            {
                Signal();
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
                Signal();
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
    private async Task<(uint UidValidity, IReadOnlyList<uint> Uids)> AddAsync(
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
            Signal();
            return (_uidValidity, uids);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<(uint UidValidity, uint Uid)> AppendAsync(Stream message, MessageFlags flags, DateTimeOffset internalDate, CancellationToken cancellationToken)
    {
        // Maildir: written into tmp/ under a unique name and fsynced, then published by rename.
        var tmp = Path.Combine(_path, "tmp", MaildirNames.Unique());
        try
        {
            await DurableFiles.WriteNewFileAsync(tmp, message, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            var (validity, uids) = await AddAsync([(tmp, flags, internalDate)], cancellationToken).ConfigureAwait(false);
            return (validity, uids[0]);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    public async Task<CopyResult> CopyAsync(IReadOnlyList<uint> uids, IMailbox target, bool move, CancellationToken cancellationToken)
    {
        if (target is not MaildirMailbox other)
        {
            throw new ArgumentException("the target belongs to another store", nameof(target));
        }

        var state = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var entries = state.Messages.ToDictionary(m => m.Uid);
        var files = new List<(string, MessageFlags, DateTimeOffset)>();
        var sources = new List<uint>();
        try
        {
            foreach (var uid in uids)
            {
                if (!entries.TryGetValue(uid, out var entry))
                {
                    continue;
                }

                var tmp = Path.Combine(other._path, "tmp", MaildirNames.Unique());
                try
                {
                    await using var source = File.OpenRead(FullPath(entry));
                    await DurableFiles.WriteNewFileAsync(tmp, source, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                }
                catch (FileNotFoundException)
                {
                    continue; // Expunged by another session meanwhile.
                }

                files.Add((tmp, entry.Flags, entry.InternalDate));
                sources.Add(uid);
            }

            uint validity = 0;
            IReadOnlyList<uint> added = [];
            if (files.Count > 0)
            {
                (validity, added) = await other.AddAsync(files, cancellationToken).ConfigureAwait(false);
                files.Clear();
            }

            if (move && sources.Count > 0)
            {
                var moved = sources.ToHashSet();
                await ExpungeAsync(e => moved.Contains(e.Uid), cancellationToken).ConfigureAwait(false);
            }

            return new CopyResult(validity, sources, added);
        }
        finally
        {
            foreach (var (tmp, _, _) in files)
            {
                File.Delete(tmp);
            }
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
        var dirty = Interlocked.Exchange(ref _dirty, false);
        if (stamp == _stamp && settled && !dirty)
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
            Signal();
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
