using System.Collections.Concurrent;
using System.Globalization;
using Keypost.Store;

namespace Keypost.Store.Maildir;

/// <summary>
/// The shared state of one Maildir folder in this process: the messages in UID order (RFC 9051 §2.3.1.1: UIDs
/// strictly ascending and kept with one UIDVALIDITY across sessions and restarts), backed by the folder's
/// <see cref="MailboxIndex"/>. Every change goes through here under one lock and costs what it touches: the index is
/// updated row by row, changes by other programs arrive as inotify events naming the files, and sessions learn what
/// changed from a journal of recent changes. The whole folder is listed only when the index cannot be trusted: a new
/// index, stamps that differ at start, or lost inotify events.
/// </summary>
internal sealed class MaildirMailbox : IMailbox, IMessageRows, IDisposable
{
    /// <summary>The UID list of earlier versions, read once to keep UIDs and UIDVALIDITY when the index is first built.</summary>
    public const string LegacyIndexFileName = "keypost-uids";

    // Sessions further behind than this many changes compare their whole view instead (MailboxUpdate.Changes null).
    private const int JournalLimit = 20_000;

    // Below this a pass over the rows at start costs a few milliseconds: no snapshot is worth writing.
    private const int FlagSnapshotMinimum = 1000;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly string _path;
    private readonly string _accountMaildir;
    private readonly ConcurrentQueue<(bool InNew, string Name)> _events = new();
    private readonly List<MailboxChange> _journal = [];
    // What stays in memory per message: its UID and flags, in UID order (5 bytes where a row object took ~200); the
    // rest of a row is read from the index when a message is touched. A state handed out shares these arrays:
    // appends write past its count in place, other changes copy first (_shared).
    private uint[] _uids = new uint[16];
    private MessageFlags[] _flags = new MessageFlags[16];
    private int _count;
    private bool _shared;
    // The rows of an older keypost-uids, kept until the first listing has indexed them.
    private List<MessageEntry>? _legacy;
    private MailboxState? _snapshot;
    private MailboxIndex? _index;
    private uint _uidValidity;
    private uint _uidNext = 1;
    private DirectoryStamp _stamp;
    private long _version;
    private long _journalFloor;
    private volatile bool _rescan;
    private bool _newIndex;
    private bool _watchFailed;
    private bool _disposed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Watchers? _watcher;

    public MaildirMailbox(string path, string accountMaildir)
    {
        _path = path;
        _accountMaildir = accountMaildir;
    }

    public long Version => Interlocked.Read(ref _version);

    /// <summary>How many times the whole folder was listed since this object was made (for tests).</summary>
    public int FullScans { get; private set; }

    /// <summary>How many times the UIDs and flags were read from the index's flag snapshot rather than its rows.</summary>
    public int FlagSnapshotLoads { get; private set; }

    public string FullPath(MessageEntry entry) => Path.Combine(_path, entry.RelativePath);

    /// <summary>
    /// Something may have landed in new/ (a delivery through the store): the next read lists new/ (not cur/), and
    /// waiters wake up.
    /// </summary>
    public void MarkChanged()
    {
        _events.Enqueue((true, ""));
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
        lock (_journal)
        {
            EnsureWatcher();
            changed = _changed.Task;
        }

        if (Version != seen)
        {
            return;
        }

        await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// At a clean shutdown, before <see cref="Dispose"/>: leaves the UIDs and flags of a large mailbox in its index as
    /// one blob, so the next start's first SELECT reads that instead of every row (MailboxIndex.SaveFlagSnapshot).
    /// </summary>
    public void SaveFlagSnapshot()
    {
        _lock.Wait();
        try
        {
            if (_index is not null && !_disposed && _count >= FlagSnapshotMinimum)
            {
                _index.SaveFlagSnapshot(FlagSnapshotMinimum);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose()
    {
        lock (_journal)
        {
            _disposed = true;
            _watcher?.Dispose();
            _watcher = null;
        }

        // Under the lock so no change is half-way through the index when it closes.
        _lock.Wait();
        try
        {
            _index?.Dispose();
            _index = null;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<MailboxState> SnapshotAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
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

    public async Task<MailboxUpdate> UpdatesSinceAsync(long since, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Refresh();
            // Read under the lock after the refresh: every change recorded later carries a larger version.
            var version = Version;
            List<MailboxChange>? changes = null;
            if (since >= _journalFloor)
            {
                var start = _journal.Count;
                while (start > 0 && _journal[start - 1].Version > since)
                {
                    start--;
                }

                changes = _journal.GetRange(start, _journal.Count - start);
            }

            return new MailboxUpdate(version, State(), changes);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<IReadOnlySet<uint>?> SearchHeaderAsync(string field, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(value);
        if (IndexedHeaders.Column(field) is not { } column)
        {
            return null;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Refresh();
            return _index!.SearchHeader(column, IndexedHeaders.Fold(value), cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Changes the flags of the given UIDs by renaming their files; returns the state afterwards.</summary>
    public async Task<MailboxState> ChangeFlagsAsync(IReadOnlySet<uint> uids, Func<MessageFlags, MessageFlags> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uids);
        ArgumentNullException.ThrowIfNull(change);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Refresh();
            // Only the rows whose flags change are read (their file names), in one query when they are many.
            var changing = new List<(uint Uid, MessageFlags Flags)>();
            foreach (var uid in uids.Order())
            {
                var i = IndexOf(uid);
                if (i >= 0 && change(_flags[i]) is var flags && flags != _flags[i])
                {
                    changing.Add((uid, flags));
                }
            }

            var renamed = new List<MessageEntry>();
            var rows = RowsOf(changing.Select(c => c.Uid).ToList());
            var r = 0;
            foreach (var (uid, flags) in changing)
            {
                while (r < rows.Count && rows[r].Uid < uid)
                {
                    r++;
                }

                if (r == rows.Count || rows[r].Uid != uid)
                {
                    continue;
                }

                var entry = rows[r];
                var relative = "cur/" + MaildirInfo.FileName(entry.BaseName, flags, entry.OtherInfo);
                try
                {
                    // Maildir: flags live in the file name. The file is renamed first and the index follows; a crash
                    // between leaves cur/ newer than the index's stamp, and the next start lists the folder. Neither
                    // the rename nor the index is fsynced (as Dovecot's mail_fsync=optimized): a flag change lost
                    // to a power cut loses no mail, and the stamp check repairs whichever half reached the disk.
                    File.Move(FullPath(entry), Path.Combine(_path, relative));
                    var now = entry with { RelativePath = relative, Flags = flags };
                    Own();
                    _flags[IndexOf(uid)] = flags;
                    renamed.Add(now);
                }
                catch (FileNotFoundException)
                {
                    // Removed or renamed by another program since: its inotify event brings the truth.
                }
            }

            if (renamed.Count > 0)
            {
                Commit([], renamed, [], renamed.Select(e => (MailboxChangeKind.FlagsChanged, e)), durable: false);
            }

            return State();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Deletes the messages <paramref name="which"/> selects (it sees each row whole: every row is read); returns their UIDs.</summary>
    public async Task<IReadOnlyList<uint>> ExpungeAsync(Func<MessageEntry, bool> which, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(which);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Refresh();
            return Expunge(_index!.LoadMessages().Where(which).ToList());
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Deletes the messages <paramref name="which"/> selects by UID and flags (no row is read but theirs); returns their UIDs.</summary>
    public async Task<IReadOnlyList<uint>> ExpungeAsync(Func<uint, MessageFlags, bool> which, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(which);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Refresh();
            var selected = new List<uint>();
            for (var i = 0; i < _count; i++)
            {
                if (which(_uids[i], _flags[i]))
                {
                    selected.Add(_uids[i]);
                }
            }

            return selected.Count == 0 ? [] : Expunge(RowsOf(selected));
        }
        finally
        {
            _lock.Release();
        }
    }

    // Under the lock: files first, then the index. A crash between leaves files missing that the index still lists,
    // which the listing at the next start drops; the other order could resurrect a message under a new UID.
    // Not fsynced (no directory fsync, index commit not durable; docs/mail-store-index.md "Durability"): the kernel
    // keeps both through a process kill, and a power cut can at worst bring back a message the user deleted, under
    // its old UID or (if only the index reached the disk) as a new one: no mail is lost either way. New mail is
    // always fsynced (AddAsync, TakeNew).
    private List<uint> Expunge(List<MessageEntry> removed)
    {
        if (removed.Count == 0)
        {
            return [];
        }

        foreach (var entry in removed)
        {
            File.Delete(FullPath(entry));
        }

        var gone = removed.Select(e => e.Uid).ToHashSet();
        RemoveUids(gone);
        Commit(gone, [], [], removed.Select(e => (MailboxChangeKind.Expunged, e)), durable: false);
        return removed.Select(e => e.Uid).ToList();
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
        ArgumentNullException.ThrowIfNull(uids);
        if (target is not MaildirMailbox other)
        {
            throw new ArgumentException("the target belongs to another store", nameof(target));
        }

        var state = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var files = new List<(string, MessageFlags, DateTimeOffset)>();
        var sources = new List<uint>();
        try
        {
            foreach (var uid in uids)
            {
                if (state.Find(uid) is not { } entry)
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
                await ExpungeAsync((uid, _) => moved.Contains(uid), cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Publishes complete, fsynced files from this folder's tmp/ into cur/ with their flags and INTERNALDATE (the
    /// file's mtime); returns their new UIDs in order.
    /// </summary>
    private async Task<(uint UidValidity, IReadOnlyList<uint> Uids)> AddAsync(
        IReadOnlyList<(string TmpPath, MessageFlags Flags, DateTimeOffset Date)> files, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Refresh();
            var added = new List<(MessageEntry, IndexedHeaders?)>();
            foreach (var (tmpPath, flags, date) in files)
            {
                var baseName = Path.GetFileName(tmpPath);
                var relative = "cur/" + MaildirInfo.FileName(baseName, flags, "");
                var target = Path.Combine(_path, relative);
                var headers = IndexedHeaders.Read(tmpPath);
                File.SetLastWriteTimeUtc(tmpPath, date.UtcDateTime);
                File.Move(tmpPath, target, overwrite: false);
                var entry = new MessageEntry(_uidNext++, baseName, relative, flags, "", new FileInfo(target).Length, TruncateToTicks(date));
                added.Add((entry, headers));
            }

            DurableFiles.SyncDirectory(Path.Combine(_path, "cur"));
            AddEntries(added);
            Commit([], [], added, added.Select(a => (MailboxChangeKind.Added, a.Item1)), durable: true);
            return (_uidValidity, added.Select(a => a.Item1.Uid).ToList());
        }
        finally
        {
            _lock.Release();
        }
    }

    private static DateTimeOffset TruncateToTicks(DateTimeOffset date) => new(date.UtcTicks, TimeSpan.Zero);

    private MailboxState State()
    {
        if (_snapshot is null)
        {
            _snapshot = new MailboxState(_uidValidity, _uidNext, _uids, _flags, _count, this);
            _shared = true;
        }

        return _snapshot;
    }

    MessageEntry? IMessageRows.Find(uint uid, MessageFlags flags) => _index?.Find(uid) is { } entry ? entry with { Flags = flags } : null;

    IReadOnlyList<MessageEntry> IMessageRows.FindMany(IReadOnlyList<(uint Uid, MessageFlags Flags)> wanted)
    {
        var rows = RowsOf(wanted.Select(w => w.Uid).ToList());
        var flags = wanted.ToDictionary(w => w.Uid, w => w.Flags);
        return rows.Select(e => e with { Flags = flags[e.Uid] }).ToList();
    }

    IReadOnlyList<MessageEntry> IMessageRows.All(uint[] uids, MessageFlags[] flags) =>
        ((IMessageRows)this).FindMany(uids.Zip(flags).ToList());

    // The rows of ascending UIDs still in the index: a range query when they are dense, else one lookup each.
    private List<MessageEntry> RowsOf(List<uint> uids)
    {
        if (uids.Count == 0 || _index is not { } index)
        {
            return [];
        }

        var first = uids[0];
        var last = uids[^1];
        if ((long)last - first + 1 <= 4L * uids.Count)
        {
            var wanted = uids.ToHashSet();
            return index.Range(first, last).Where(e => wanted.Contains(e.Uid)).ToList();
        }

        var rows = new List<MessageEntry>(uids.Count);
        foreach (var uid in uids)
        {
            if (index.Find(uid) is { } entry)
            {
                rows.Add(entry);
            }
        }

        return rows;
    }

    private int IndexOf(uint uid) => _uids.AsSpan(0, _count).BinarySearch(uid);

    // Before changing what a handed-out state may be reading.
    private void Own()
    {
        if (_shared)
        {
            _uids = (uint[])_uids.Clone();
            _flags = (MessageFlags[])_flags.Clone();
            _shared = false;
        }

        _snapshot = null;
    }

    // A few UIDs (an EXPUNGE of one message, a MOVE) cost a binary search each and block copies into the new arrays,
    // not a set lookup per message of the mailbox.
    private void RemoveUids(IReadOnlySet<uint> gone)
    {
        if (gone.Count == 0)
        {
            return;
        }

        var positions = new List<int>(gone.Count);
        foreach (var uid in gone)
        {
            if (IndexOf(uid) is var i and >= 0)
            {
                positions.Add(i);
            }
        }

        if (positions.Count == 0)
        {
            return;
        }

        positions.Sort();
        // Fresh arrays whenever a state handed out shares these (Own would copy them whole first).
        var uids = _shared ? new uint[_uids.Length] : _uids;
        var flags = _shared ? new MessageFlags[_flags.Length] : _flags;
        var n = 0;
        var from = 0;
        foreach (var p in positions.Append(_count))
        {
            var length = p - from;
            Array.Copy(_uids, from, uids, n, length);
            Array.Copy(_flags, from, flags, n, length);
            n += length;
            from = p + 1;
        }

        _uids = uids;
        _flags = flags;
        _count = n;
        _shared = false;
        _snapshot = null;
    }

    private void SetMessages(uint[] uids, MessageFlags[] flags, int count)
    {
        _uids = uids;
        _flags = flags;
        _count = count;
        _shared = false;
        _snapshot = null;
    }

    private void AddEntries(IEnumerable<(MessageEntry Entry, IndexedHeaders? Headers)> added)
    {
        foreach (var (entry, _) in added)
        {
            if (_count == _uids.Length)
            {
                // A state handed out keeps the old arrays; this one is ours alone.
                Array.Resize(ref _uids, Math.Max(16, _count * 2));
                Array.Resize(ref _flags, Math.Max(16, _count * 2));
                _shared = false;
            }

            // Past the count of any state handed out: written in place.
            _uids[_count] = entry.Uid;
            _flags[_count] = entry.Flags;
            _count++;
        }

        _snapshot = null;
    }

    // One change: the index first (on disk when durable: whenever it gives new mail its UID), then the journal and
    // the waiters.
    private void Commit(
        IReadOnlyCollection<uint> removed, IReadOnlyCollection<MessageEntry> renamed, IReadOnlyCollection<(MessageEntry, IndexedHeaders?)> added,
        IEnumerable<(MailboxChangeKind Kind, MessageEntry Entry)> changes, bool durable)
    {
        _snapshot = null;
        _stamp = DirectoryStamp.Read(_path);
        _index!.Commit(_uidValidity, _uidNext, _stamp, removed, renamed, added, durable);
        var version = Signal();
        foreach (var (kind, entry) in changes)
        {
            _journal.Add(new MailboxChange(version, kind, entry));
        }

        if (_journal.Count > JournalLimit)
        {
            var drop = _journal.Count / 2;
            _journalFloor = _journal[drop - 1].Version;
            _journal.RemoveRange(0, drop);
        }
    }

    private long Signal()
    {
        TaskCompletionSource previous;
        long version;
        lock (_journal)
        {
            version = Interlocked.Increment(ref _version);
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
        return version;
    }

    // Brings the in-memory view up to date: the index on first use, then only what the queued events name.
    private void Refresh()
    {
        if (_disposed)
        {
            // Forgotten by the registry: the folder was deleted or renamed under the sessions that still hold it.
            throw new DirectoryNotFoundException("the mailbox was deleted or renamed: " + _path);
        }
        lock (_journal)
        {
            // Before the index is read, so nothing done by another program between the two goes unseen.
            EnsureWatcher();
        }

        if (_index is null)
        {
            Load();
        }
        else if (_index.ChangedElsewhere())
        {
            // Another process (a `keypost` command) wrote the index: take its view whole, as it is rare.
            Reload(reportAll: true);
        }

        if (_watcher is null && DirectoryStamp.Read(_path) != _stamp)
        {
            // No inotify (limits reached): the directory stamps are all there is to go on.
            _rescan = true;
        }

        if (_rescan)
        {
            _events.Clear();
            _rescan = false;
            Rescan();
            return;
        }

        DrainEvents();
    }

    private void Load()
    {
        _index = MailboxIndex.Open(_path);
        if (_index.ReadMailbox() is { } stored)
        {
            Reload(reportAll: false);
            // The cheap check: new/ is listed anyway (it is small: what arrived while we were away); cur/ is listed
            // only when its stamp differs from the one recorded with the last change.
            if (DirectoryStamp.Read(_path).Cur != stored.Stamp.Cur)
            {
                _rescan = true;
            }
            else
            {
                _events.Enqueue((true, ""));
            }

            return;
        }

        // A new index: UIDs and UIDVALIDITY from an older keypost-uids when there is one, else a fresh UIDVALIDITY,
        // which tells clients to forget cached UIDs (RFC 9051 §2.3.1.1): never one this account used before.
        _uidValidity = UidValidityCounter.Next(_accountMaildir, TimeProvider.System);
        _uidNext = 1;
        _legacy = [];
        ReadLegacyIndex();
        SetMessages(_legacy.Select(e => e.Uid).ToArray(), _legacy.Select(e => e.Flags).ToArray(), _legacy.Count);
        _newIndex = true;
        _rescan = true;
    }

    private void Reload(bool reportAll)
    {
        var stored = _index!.ReadMailbox() ?? throw new InvalidDataException("the mailbox index lost its header row");
        _uidValidity = stored.UidValidity;
        _uidNext = stored.UidNext;
        _stamp = stored.Stamp;
        var (uids, flags, count, fromSnapshot) = _index.LoadFlags();
        FlagSnapshotLoads += fromSnapshot ? 1 : 0;
        SetMessages(uids, flags, count);
        if (reportAll)
        {
            // Sessions compare their whole view with the new state.
            _journal.Clear();
            _journalFloor = Signal();
        }
    }

    private void ReadLegacyIndex()
    {
        var path = Path.Combine(_path, LegacyIndexFileName);
        if (!File.Exists(path))
        {
            return;
        }

        var lines = File.ReadAllLines(path);
        var head = lines.Length > 0 ? lines[0].Split(' ') : [];
        if (head.Length != 4 || head[0] != "keypost-uids" || head[1] != "1"
            || !uint.TryParse(head[2], NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
            || !uint.TryParse(head[3], NumberStyles.None, CultureInfo.InvariantCulture, out var next) || validity == 0)
        {
            return;
        }

        var entries = new List<MessageEntry>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0 || !uint.TryParse(line[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                || uid >= next || (entries.Count > 0 && uid <= entries[^1].Uid))
            {
                return;
            }

            // Size 0 marks an entry whose file the listing must still stat.
            entries.Add(new MessageEntry(uid, line[(space + 1)..], "", MessageFlags.None, "", 0, DateTimeOffset.UnixEpoch));
        }

        _uidValidity = validity;
        _uidNext = next;
        _legacy = entries;
    }

    // Handles what inotify (or a delivery) named: each at the cost of a stat or two, whatever the mailbox's size.
    private void DrainEvents()
    {
        if (_events.IsEmpty)
        {
            return;
        }

        var listNew = false;
        var touched = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        while (_events.TryDequeue(out var e))
        {
            if (e.InNew)
            {
                listNew = true;
                continue;
            }

            var baseName = MaildirInfo.Parse(e.Name).BaseName;
            if (!touched.TryGetValue(baseName, out var names))
            {
                touched[baseName] = names = [];
            }

            names.Add(e.Name);
        }

        var curDir = Path.Combine(_path, "cur");
        var removed = new HashSet<uint>();
        var renamed = new List<MessageEntry>();
        var found = new List<(string BaseName, string Name)>();
        foreach (var (baseName, names) in touched)
        {
            var current = names.LastOrDefault(n => File.Exists(Path.Combine(curDir, n)));
            // The index knows each file by name (message_name): no map of every base name is kept in memory.
            if (_index!.FindByBase(baseName) is { } entry && IndexOf(entry.Uid) >= 0)
            {
                var uid = entry.Uid;
                if (File.Exists(FullPath(entry)))
                {
                    continue; // Our own rename or move, seen again through inotify.
                }

                if (current is null)
                {
                    removed.Add(uid);
                    continue;
                }

                var (_, flags, other) = MaildirInfo.Parse(current);
                renamed.Add(entry with { RelativePath = "cur/" + current, Flags = flags, OtherInfo = other });
            }
            else if (current is not null)
            {
                found.Add((baseName, current));
            }
        }

        if (listNew)
        {
            found.AddRange(TakeNew());
        }

        Apply(removed, renamed, found, []);
    }

    // Maildir: a reader that has seen a message in new/ moves it to cur/ with an empty info suffix.
    private List<(string BaseName, string Name)> TakeNew()
    {
        var newDir = Path.Combine(_path, "new");
        var curDir = Path.Combine(_path, "cur");
        var taken = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(newDir))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.'))
            {
                continue;
            }

            var target = name.Contains(':', StringComparison.Ordinal) ? name : name + ":2,";
            try
            {
                File.Move(file, Path.Combine(curDir, target), overwrite: false);
                taken.Add((MaildirInfo.Parse(name).BaseName, target));
            }
            catch (IOException)
            {
                // Taken by another reader or gone: the cur/ listing decides.
            }
        }

        if (taken.Count > 0)
        {
            DurableFiles.SyncDirectory(curDir);
            DurableFiles.SyncDirectory(newDir);
        }

        return taken;
    }

    // The whole folder, when the index cannot be trusted: one directory listing, no stat of known files (a Maildir
    // file never changes content, so size and INTERNALDATE stay as indexed).
    private void Rescan()
    {
        FullScans++;
        var fromNew = TakeNew();
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_path, "cur")))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith('.'))
            {
                listed.TryAdd(MaildirInfo.Parse(name).BaseName, name);
            }
        }

        foreach (var (baseName, name) in fromNew)
        {
            listed.TryAdd(baseName, name);
        }

        // Every row, read once for the comparison (a rescan is O(mailbox) by nature); a new index compares the
        // rows carried over from keypost-uids.
        var known = _newIndex ? _legacy ?? [] : _index!.LoadMessages();
        var removed = new HashSet<uint>();
        var renamed = new List<MessageEntry>();
        for (var i = 0; i < known.Count; i++)
        {
            var entry = known[i];
            if (!listed.Remove(entry.BaseName, out var name))
            {
                removed.Add(entry.Uid);
                continue;
            }

            if (entry.RelativePath != "cur/" + name || entry.Size == 0)
            {
                var (_, flags, other) = MaildirInfo.Parse(name);
                var now = entry with { RelativePath = "cur/" + name, Flags = flags, OtherInfo = other };
                if (entry.Size == 0 && File.Exists(FullPath(now)))
                {
                    // Carried over from keypost-uids, which kept no size or date.
                    var info = new FileInfo(FullPath(now));
                    now = now with { Size = info.Length, InternalDate = new DateTimeOffset(info.LastWriteTimeUtc.Ticks, TimeSpan.Zero) };
                }

                known[i] = now;
                renamed.Add(now);
            }
        }

        Apply(removed, renamed, listed.Select(l => (l.Key, l.Value)).ToList(), known);
    }

    // Records removals, renames and new files (given UIDs in delivery order: mtime, then the time-based name).
    // A new index writes every row of <paramref name="known"/> (all rows, as the rescan compared them).
    private void Apply(HashSet<uint> removed, List<MessageEntry> renamed, List<(string BaseName, string Name)> found, List<MessageEntry> known)
    {
        if (removed.Count == 0 && renamed.Count == 0 && found.Count == 0 && !_newIndex)
        {
            if (DirectoryStamp.Read(_path) != _stamp)
            {
                // Nothing changed but the stamps (our own changes seen again): record them, so a restart trusts the index.
                Commit([], [], [], [], durable: false);
            }

            return;
        }

        var curDir = Path.Combine(_path, "cur");
        var added = new List<(MessageEntry Entry, IndexedHeaders? Headers)>();
        var fresh = new List<(DateTime Time, string BaseName, string Name, long Size)>();
        foreach (var (baseName, name) in found)
        {
            var info = new FileInfo(Path.Combine(curDir, name));
            if (info.Exists)
            {
                fresh.Add((info.LastWriteTimeUtc, baseName, name, info.Length));
            }
        }

        foreach (var (time, baseName, name, size) in fresh.OrderBy(f => f.Time).ThenBy(f => f.BaseName, StringComparer.Ordinal))
        {
            var (_, flags, other) = MaildirInfo.Parse(name);
            var entry = new MessageEntry(_uidNext++, baseName, "cur/" + name, flags, other, size, new DateTimeOffset(time.Ticks, TimeSpan.Zero));
            added.Add((entry, IndexedHeaders.Read(Path.Combine(curDir, name))));
        }

        RemoveUids(removed);
        foreach (var entry in renamed)
        {
            Own();
            _flags[IndexOf(entry.Uid)] = entry.Flags;
        }

        AddEntries(added);
        var removedEntries = removed.Select(uid => new MessageEntry(uid, "", "", MessageFlags.None, "", 0, DateTimeOffset.UnixEpoch));
        var changes = removedEntries.Select(e => (MailboxChangeKind.Expunged, e))
            .Concat(renamed.Select(e => (MailboxChangeKind.FlagsChanged, e)))
            .Concat(added.Select(a => (MailboxChangeKind.Added, a.Entry)))
            .ToList();
        // New UIDs (and a new index's UIDVALIDITY) are on disk before anyone sees them: a UID a client has seen must
        // never name another message after a power cut (RFC 9051 §2.3.1.1).
        var durable = added.Count > 0 || _newIndex;
        if (_newIndex)
        {
            // The first listing of a new index writes every row, those carried over from keypost-uids included.
            var addedUids = added.Select(a => a.Entry.Uid).ToHashSet();
            added.AddRange(known.Where(m => !addedUids.Contains(m.Uid) && !removed.Contains(m.Uid)).Select(m => (m, IndexedHeaders.Read(FullPath(m)))));
            renamed = [];
            removed = [];
            _newIndex = false;
            _legacy = null;
        }

        Commit(removed, renamed, added, changes, durable);
    }

    private void EnsureWatcher()
    {
        if (_watcher is not null || _disposed || _watchFailed)
        {
            return;
        }

        // One non-recursive watcher each on new/ and cur/: INBOX's directory also holds the Maildir++ folders,
        // whose trees a recursive watch would cover too. tmp/ (unfinished files) and the index are not messages.
        FileSystemWatcher? newWatcher = null;
        try
        {
            newWatcher = Watch(Path.Combine(_path, "new"), inNew: true);
            _watcher = new Watchers(newWatcher, Watch(Path.Combine(_path, "cur"), inNew: false));
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // No inotify (limits reached): Refresh compares the directory stamps instead.
            newWatcher?.Dispose();
            _watchFailed = true;
        }
    }

    private FileSystemWatcher Watch(string directory, bool inNew)
    {
        var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.FileName, InternalBufferSize = 64 * 1024 };
        watcher.Created += (_, e) => Queue(inNew, e.Name);
        watcher.Deleted += (_, e) => Queue(inNew, e.Name);
        watcher.Renamed += (_, e) =>
        {
            Queue(inNew, e.OldName);
            Queue(inNew, e.Name);
        };
        watcher.Error += (_, _) =>
        {
            // Events were lost (the kernel queue overflowed): only a listing can tell what happened.
            _rescan = true;
            Signal();
        };
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void Queue(bool inNew, string? name)
    {
        if (name is null || name.StartsWith('.'))
        {
            return;
        }

        _events.Enqueue((inNew, name));
        Signal();
    }

    private sealed class Watchers(FileSystemWatcher newDirectory, FileSystemWatcher curDirectory) : IDisposable
    {
        public void Dispose()
        {
            newDirectory.Dispose();
            curDirectory.Dispose();
        }
    }
}
