using System.Globalization;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>Selected state (RFC 9051 §6.4) and the untagged updates that keep sessions on one mailbox in step.</summary>
internal sealed partial class ImapSession
{
    private async Task<string> SelectedCommandAsync(string tag, string name, ImapTokenizer t, CancellationToken cancellationToken)
    {
        var byUid = false;
        if (name == "UID")
        {
            byUid = true;
            t.Space();
            name = t.Atom().ToUpperInvariant();
        }

        switch (name)
        {
            case "FETCH":
                return await FetchAsync(t, byUid, cancellationToken);
            case "STORE":
                return await StoreAsync(t, byUid, cancellationToken);
            case "COPY":
            case "MOVE":
                return await CopyAsync(t, byUid, move: name == "MOVE", cancellationToken);
            case "SEARCH":
                return await SearchAsync(tag, t, byUid, cancellationToken);
            case "EXPUNGE":
                return await ExpungeAsync(t, byUid, cancellationToken);
            case "CLOSE" when !byUid:
            case "UNSELECT" when !byUid:
                t.ExpectEnd();
                if (name == "CLOSE" && !_selected!.ReadOnly)
                {
                    // RFC 9051 §6.4.1: CLOSE expunges silently.
                    await _selected.Mailbox.ExpungeAsync((_, flags) => flags.HasFlag(MessageFlags.Deleted), cancellationToken);
                }

                _selected = null;
                return "OK " + name + " completed";
            default:
                return "BAD Unknown command";
        }
    }

    /// <summary>
    /// Tells the client what changed in its mailbox since the last report. EXPUNGE is held back during FETCH, STORE
    /// and SEARCH, whose sequence numbers must not shift under the client (RFC 9051 §7.5.1).
    /// </summary>
    private async Task<MailboxState?> SyncAsync(bool allowExpunge, CancellationToken cancellationToken)
    {
        if (_selected is not { } selected)
        {
            return null;
        }

        // The store hands over the changes since the version this session last reported, so a command on a quiet
        // mailbox costs nothing more and a busy one costs the changes, not the mailbox.
        var update = await selected.Mailbox.UpdatesSinceAsync(selected.SeenVersion, cancellationToken);
        selected.SeenVersion = update.Version;
        if (update.Changes is { } changes)
        {
            ReportChanges(selected, changes, allowExpunge);
        }
        else
        {
            ReportDifferences(selected, update.State, allowExpunge);
        }

        return update.State;
    }

    private void ReportChanges(SelectedMailbox selected, IReadOnlyList<MailboxChange> changes, bool allowExpunge)
    {
        var flagged = new Dictionary<uint, MessageFlags>();
        var added = false;
        foreach (var change in changes)
        {
            var uid = change.Entry.Uid;
            switch (change.Kind)
            {
                case MailboxChangeKind.Added when uid > selected.LargestUid:
                    selected.Add(uid, change.Entry.Flags);
                    added = true;
                    break;
                case MailboxChangeKind.FlagsChanged:
                    flagged[uid] = change.Entry.Flags;
                    break;
                case MailboxChangeKind.Expunged when selected.Contains(uid):
                    selected.PendingExpunges.Add(uid);
                    flagged.Remove(uid);
                    break;
            }
        }

        if (allowExpunge && selected.PendingExpunges.Count > 0)
        {
            // Highest sequence number first, so the numbers of those still to report do not shift.
            foreach (var uid in selected.PendingExpunges.OrderDescending())
            {
                var i = selected.IndexOf(uid);
                if (i >= 0)
                {
                    _connection.WriteLine("* " + (i + 1).ToString(CultureInfo.InvariantCulture) + " EXPUNGE");
                    selected.RemoveAt(i);
                }
            }

            selected.PendingExpunges.Clear();
        }

        foreach (var (uid, flags) in flagged.OrderBy(f => f.Key))
        {
            if (selected.TryGetFlags(uid, out var known) && known != flags && !selected.PendingExpunges.Contains(uid))
            {
                selected.SetFlags(uid, flags);
                WriteFlags(selected.IndexOf(uid) + 1, uid, flags);
            }
        }

        if (added)
        {
            _connection.WriteLine("* " + selected.Count.ToString(CultureInfo.InvariantCulture) + " EXISTS");
        }
    }

    // The store no longer holds the changes since this session's version: compare the whole view.
    private void ReportDifferences(SelectedMailbox selected, MailboxState state, bool allowExpunge)
    {
        if (allowExpunge)
        {
            selected.PendingExpunges.Clear();
            for (var i = selected.Uids.Count - 1; i >= 0; i--)
            {
                if (state.IndexOf(selected.Uids[i]) < 0)
                {
                    _connection.WriteLine("* " + (i + 1).ToString(CultureInfo.InvariantCulture) + " EXPUNGE");
                    selected.RemoveAt(i);
                }
            }
        }

        for (var i = 0; i < selected.Uids.Count; i++)
        {
            var uid = selected.Uids[i];
            var j = state.IndexOf(uid);
            if (j >= 0 && selected.FlagsAt(i) != state.FlagsAt(j))
            {
                selected.SetFlags(uid, state.FlagsAt(j));
                WriteFlags(i + 1, uid, state.FlagsAt(j));
            }
        }

        var added = false;
        var from = state.IndexOf(selected.LargestUid + 1);
        for (var i = from < 0 ? ~from : from; i < state.Count; i++)
        {
            selected.Add(state.UidAt(i), state.FlagsAt(i));
            added = true;
        }

        if (added)
        {
            _connection.WriteLine("* " + selected.Count.ToString(CultureInfo.InvariantCulture) + " EXISTS");
        }
    }

    private void WriteFlags(long sequence, uint uid, MessageFlags flags) =>
        _connection.WriteLine("* " + sequence.ToString(CultureInfo.InvariantCulture) + " FETCH (UID " + uid.ToString(CultureInfo.InvariantCulture)
                              + " FLAGS " + ImapFlags.ToImap(flags) + ")");

    // How much FETCH output may gather before it is sent (a few TLS records).
    private const int FetchFlushOctets = 64 * 1024;

    // The most of one message's octets held in the output buffer at once.
    private const int WholeMessageChunk = 256 * 1024;

    private async Task<string> FetchAsync(ImapTokenizer t, bool byUid, CancellationToken cancellationToken)
    {
        t.Space();
        var set = SequenceSet.Parse(t);
        t.Space();
        var items = FetchParser.Parse(t);
        t.ExpectEnd();
        var selected = _selected!;
        var state = (await SyncAsync(allowExpunge: false, cancellationToken))!;
        if (IndexedFetchWriter.OnlyUidAndFlags(items))
        {
            await FetchFlagsAsync(selected, state, set, byUid, items, cancellationToken);
            return "OK FETCH completed";
        }

        var targets = selected.Resolve(set, byUid).ToList();

        // RFC 9051 §6.4.5: BODY[...] without .PEEK (and RFC822, RFC822.TEXT) sets \Seen.
        var marksSeen = !selected.ReadOnly && items.Any(i => (i.HasSection && !i.Peek) || i.Name is "RFC822" or "RFC822.TEXT");
        var seenNow = new HashSet<uint>();
        if (marksSeen)
        {
            seenNow = targets.Select(x => x.Uid).Where(u => state.IndexOf(u) is var j && j >= 0 && !state.FlagsAt(j).HasFlag(MessageFlags.Seen)).ToHashSet();
            if (seenNow.Count > 0)
            {
                state = await selected.Mailbox.ChangeFlagsAsync(seenNow, f => f | MessageFlags.Seen, cancellationToken);
            }
        }

        var indexOnly = IndexedFetchWriter.Covers(items);
        // BODY[] and RFC822 of whole messages (what a client downloading mail asks) need the file, not a MIME tree.
        var wholeOnly = IndexedFetchWriter.CoversWithWholeMessage(items);
        var needsMessage = items.Any(i => i.HasSection || i.Name is "ENVELOPE" or "BODYSTRUCTURE" or "BODY" or "RFC822" or "RFC822.HEADER" or "RFC822.TEXT");
        // UID and FLAGS come from the compact state; any other item needs the message's row, read a chunk at a time.
        var needsRow = !indexOnly || items.Any(i => i.Name is "INTERNALDATE" or "RFC822.SIZE");
        var rows = needsRow ? new ChunkedRows(state, targets.Select(x => x.Uid).ToList()) : null;
        // FLAGS go out unasked with a message this FETCH marked \Seen (RFC 9051 §6.4.5); decided once, not per message.
        var addsFlags = seenNow.Count > 0 && !items.Any(i => i.Name == "FLAGS");
        for (var k = 0; k < targets.Count; k++)
        {
            var (sequence, uid) = targets[k];
            if (_connection.Output.Length >= FetchFlushOctets)
            {
                // Out in chunks between responses: the client parses while we format, and a FETCH of a whole
                // mailbox never holds its entire answer in memory.
                await _connection.FlushAsync(cancellationToken);
            }

            var at = state.IndexOf(uid);
            if (at < 0)
            {
                continue; // Expunged by another session; reported at the next NOOP.
            }

            var flags = state.FlagsAt(at);
            var withFlags = addsFlags && seenNow.Contains(uid);
            MessageEntry? entry = null;
            if (rows is not null && (entry = rows.Get(k)) is null)
            {
                continue; // Expunged by another session meanwhile.
            }

            if (indexOnly)
            {
                IndexedFetchWriter.Write(_connection.Output, sequence, uid, flags, entry, byUid, withFlags, items);
                selected.SetFlagsAt((int)sequence - 1, flags);
                continue;
            }

            if (wholeOnly)
            {
                if (await WriteWholeMessageAsync(selected.Mailbox, sequence, entry!, flags, byUid, withFlags, items, cancellationToken))
                {
                    selected.SetFlagsAt((int)sequence - 1, flags);
                }

                continue;
            }

            ParsedMessage? parsed = null;
            if (needsMessage)
            {
                var octets = await ReadMessageAsync(selected.Mailbox, entry!, cancellationToken);
                if (octets is null)
                {
                    continue; // Expunged by another session meanwhile.
                }

                parsed = new ParsedMessage(octets);
            }

            var mark = _connection.Output.Length;
            try
            {
                FetchResponseWriter.Write(_writer, sequence, entry!, parsed, byUid, withFlags, items);
            }
            catch (Exception e) when (parsed is not null && e is not OperationCanceledException)
            {
                // A message MimeKit parsed into a tree we cannot describe is still served: its octets as stored,
                // with the minimal ENVELOPE and BODYSTRUCTURE of an unstructured message.
                _context.Logger.LogWarning(e, "FETCH of UID {Uid} served without MIME structure", uid);
                _connection.Output.SetLength(mark);
                FetchResponseWriter.Write(_writer, sequence, entry!, ParsedMessage.Opaque(parsed.Raw), byUid, withFlags, items);
            }

            selected.SetFlagsAt((int)sequence - 1, flags);
        }

        return "OK FETCH completed";
    }

    // UID FETCH 1:* (FLAGS), what every client runs to resync a mailbox: formatted from the state in memory straight
    // into one pooled buffer in chunks of FetchFlushOctets, each sent as one write (sets no \Seen: no section asked).
    private async Task FetchFlagsAsync(SelectedMailbox selected, MailboxState state, SequenceSet set, bool byUid, IReadOnlyList<FetchItem> items, CancellationToken cancellationToken)
    {
        var shape = IndexedFetchWriter.Shape(items, byUid);
        var spans = selected.Spans(set, byUid);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(FetchFlushOctets + IndexedFetchWriter.MaxFlagsResponse(shape.Length));
        try
        {
            int span = 0, position = 0, at = 0;
            while (span < spans.Count)
            {
                var n = IndexedFetchWriter.FormatFlags(
                    buffer, FetchFlushOctets, selected.UidSpan, selected.FlagSpan, state.Uids, state.AllFlags, spans, shape, ref span, ref position, ref at);
                _connection.Output.Write(buffer, 0, n);
                if (span < spans.Count)
                {
                    await _connection.FlushAsync(cancellationToken);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<string> StoreAsync(ImapTokenizer t, bool byUid, CancellationToken cancellationToken)
    {
        t.Space();
        var set = SequenceSet.Parse(t);
        t.Space();
        var action = t.Atom().ToUpperInvariant();
        var silent = action.EndsWith(".SILENT", StringComparison.Ordinal);
        action = silent ? action[..^7] : action;
        if (action is not ("FLAGS" or "+FLAGS" or "-FLAGS"))
        {
            return "BAD Unknown STORE item";
        }

        t.Space();
        List<string> names;
        if (t.Peek == '(')
        {
            names = t.FlagList();
        }
        else
        {
            names = [];
            do
            {
                names.Add((t.TryTake('\\') ? "\\" : "") + t.Atom());
            }
            while (t.TrySpace());
        }

        t.ExpectEnd();
        var selected = _selected!;
        if (selected.ReadOnly)
        {
            return "NO [READ-ONLY] Mailbox is read-only";
        }

        await SyncAsync(allowExpunge: false, cancellationToken);
        var flags = ImapFlags.FromImap(names);
        var targets = selected.Resolve(set, byUid).ToList();
        Func<MessageFlags, MessageFlags> change = action switch
        {
            "+FLAGS" => f => f | flags,
            "-FLAGS" => f => f & ~flags,
            _ => _ => flags,
        };
        var state = await selected.Mailbox.ChangeFlagsAsync(targets.Select(x => x.Uid).ToHashSet(), change, cancellationToken);
        foreach (var (sequence, uid) in targets)
        {
            var at = state.IndexOf(uid);
            if (at < 0)
            {
                continue;
            }

            selected.SetFlags(uid, state.FlagsAt(at));
            if (!silent)
            {
                WriteFlags(sequence, uid, state.FlagsAt(at));
            }
        }

        return "OK STORE completed";
    }

    // RFC 9051 §6.4.7 COPY, RFC 6851 MOVE, with RFC 4315 COPYUID.
    private async Task<string> CopyAsync(ImapTokenizer t, bool byUid, bool move, CancellationToken cancellationToken)
    {
        t.Space();
        var set = SequenceSet.Parse(t);
        var name = MailboxArgument(t);
        t.ExpectEnd();
        var selected = _selected!;
        if (name is null || !Folders.Exists(name))
        {
            return "NO [TRYCREATE] No such mailbox";
        }

        if (move && selected.ReadOnly)
        {
            return "NO [READ-ONLY] Mailbox is read-only";
        }

        var target = Folders.Get(name);
        var wanted = selected.Resolve(set, byUid).Select(x => x.Uid).ToList();
        var copied = await selected.Mailbox.CopyAsync(wanted, target, move, cancellationToken);
        if (copied.SourceUids.Count == 0)
        {
            return byUid ? "OK Nothing to copy" : "NO No such messages";
        }

        var copyUid = "[COPYUID " + copied.UidValidity.ToString(CultureInfo.InvariantCulture) + " " + SequenceSet.Format(copied.SourceUids) + " " + SequenceSet.Format(copied.TargetUids) + "]";
        if (!move)
        {
            return "OK " + copyUid + " COPY completed";
        }

        _connection.WriteLine("* OK " + copyUid + " Moved");
        await SyncAsync(allowExpunge: true, cancellationToken);
        return "OK MOVE completed";
    }

    private async Task<string> ExpungeAsync(ImapTokenizer t, bool byUid, CancellationToken cancellationToken)
    {
        SequenceSet? set = null;
        if (byUid)
        {
            t.Space();
            set = SequenceSet.Parse(t);
        }

        t.ExpectEnd();
        var selected = _selected!;
        if (selected.ReadOnly)
        {
            return "NO [READ-ONLY] Mailbox is read-only";
        }

        var largest = selected.LargestUid;
        await selected.Mailbox.ExpungeAsync(
            (uid, flags) => flags.HasFlag(MessageFlags.Deleted) && (set is null || (selected.Contains(uid) && set.Contains(uid, largest))),
            cancellationToken);
        await SyncAsync(allowExpunge: true, cancellationToken);
        return "OK EXPUNGE completed";
    }

    private async Task<string> SearchAsync(string tag, ImapTokenizer t, bool byUid, CancellationToken cancellationToken)
    {
        t.Space();
        var returnOptions = (List<string>?)null;
        if (t.Peek is 'R' or 'r' && TryKeyword(t, "RETURN"))
        {
            t.Space();
            returnOptions = t.FlagList().Select(o => o.ToUpperInvariant()).ToList();
            t.Space();
        }

        if (t.Peek is 'C' or 'c' && TryKeyword(t, "CHARSET"))
        {
            t.Space();
            var charset = t.AString();
            if (!charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase))
            {
                return "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset";
            }

            t.Space();
        }

        var headerKeys = new List<(string Field, string Value)>();
        var requiredKeys = new List<(string Field, string Value)>();
        var predicate = SearchParser.Parse(t, headerKeys, requiredKeys);
        t.ExpectEnd();
        var selected = _selected!;
        var state = (await SyncAsync(allowExpunge: false, cancellationToken))!;

        // Header keys the store indexes are answered once for the whole mailbox, before any message is looked at.
        var indexed = new Dictionary<(string Field, string Value), IReadOnlySet<uint>>();
        foreach (var key in headerKeys.Distinct())
        {
            if (await selected.Mailbox.SearchHeaderAsync(key.Field, key.Value, cancellationToken) is { } uids)
            {
                indexed[key] = uids;
            }
        }

        var matches = new List<uint>();
        var mailbox = selected.Mailbox;
        var rows = new ChunkedRows(state, selected.Uids);
        var looked = 0;
        foreach (var i in Candidates(selected, requiredKeys, indexed))
        {
            if ((looked++ & 255) == 0)
            {
                // A search that reads files can run long: stop when the client has gone (RFC 9051 gives it no other
                // way to cancel) or the server stops.
                cancellationToken.ThrowIfCancellationRequested();
                if (_connection.PeerHasClosed())
                {
                    throw new IOException("the client closed the connection during SEARCH");
                }
            }

            var uid = selected.Uids[i];
            var at = state.IndexOf(uid);
            if (at < 0)
            {
                continue;
            }

            var candidate = new SearchCandidate(
                uid, state.FlagsAt(at), rows, i, (uint)i + 1, selected.Count, selected.LargestUid, mailbox, indexed, cancellationToken);
            if (predicate(candidate))
            {
                matches.Add(byUid ? uid : (uint)i + 1);
            }
        }

        if (returnOptions is null && !_rev2)
        {
            _connection.WriteLine("* SEARCH" + string.Concat(matches.Select(m => " " + m.ToString(CultureInfo.InvariantCulture))));
            return "OK SEARCH completed";
        }

        // RFC 9051 §7.3.4 (ESEARCH), the only SEARCH answer once IMAP4rev2 is enabled.
        var options = returnOptions is null || returnOptions.Count == 0 ? ["ALL"] : returnOptions;
        var line = "* ESEARCH (TAG \"" + tag + "\")" + (byUid ? " UID" : "");
        foreach (var option in options)
        {
            line += option switch
            {
                "MIN" when matches.Count > 0 => " MIN " + matches.Min().ToString(CultureInfo.InvariantCulture),
                "MAX" when matches.Count > 0 => " MAX " + matches.Max().ToString(CultureInfo.InvariantCulture),
                "COUNT" => " COUNT " + matches.Count.ToString(CultureInfo.InvariantCulture),
                "ALL" when matches.Count > 0 => " ALL " + SequenceSet.Format(matches),
                _ => "",
            };
        }

        _connection.WriteLine(line);
        return "OK SEARCH completed";
    }

    /// <summary>
    /// The positions (sequence number - 1) of the messages that can match: every message, or, when a key every match
    /// must satisfy was answered by the store's index, only the messages in the smallest such answer, so a selective
    /// header SEARCH costs what it finds rather than the size of the mailbox. In ascending order either way.
    /// </summary>
    private static IEnumerable<int> Candidates(
        SelectedMailbox selected, List<(string Field, string Value)> requiredKeys, Dictionary<(string Field, string Value), IReadOnlySet<uint>> indexed)
    {
        IReadOnlySet<uint>? smallest = null;
        foreach (var key in requiredKeys)
        {
            if (indexed.TryGetValue(key, out var found) && (smallest is null || found.Count < smallest.Count))
            {
                smallest = found;
            }
        }

        if (smallest is null || smallest.Count > selected.Uids.Count / 8)
        {
            return Enumerable.Range(0, selected.Uids.Count);
        }

        // The selected UIDs ascend with the sequence numbers (RFC 9051 §2.3.1.1), so each is found by bisection.
        var positions = new List<int>(smallest.Count);
        foreach (var uid in smallest)
        {
            var at = selected.IndexOf(uid);
            if (at >= 0)
            {
                positions.Add(at);
            }
        }

        positions.Sort();
        return positions;
    }

    // The store hands out streams; IMAP never opens files itself.
    // A whole message goes from the file into the output buffer with no parse, no byte[] or string of its own: one
    // read per message (or per WholeMessageChunk of a large one, flushed in between, so a 50 MB message is never held
    // whole). Returns false when the message was expunged meanwhile (nothing written then).
    private async Task<bool> WriteWholeMessageAsync(
        IMailbox mailbox, uint sequence, MessageEntry entry, MessageFlags flags, bool byUid, bool withFlags, List<FetchItem> items, CancellationToken cancellationToken)
    {
        await using var opened = mailbox.OpenMessage(entry);
        if (opened is null)
        {
            return false;
        }

        // Maildir files and PostgreSQL's bytes are seekable; any other store's stream is taken into memory first.
        await using var stream = opened.CanSeek ? opened : await CopiedAsync(opened, cancellationToken);
        var output = _connection.Output;
        var mark = output.Length;
        var flushed = _connection.Flushed;
        // The file's own length (an fstat of the open file), as the literal must announce exactly what follows.
        var length = stream.Length;
        int next = 0;
        var first = true;
        while (true)
        {
            IndexedFetchWriter.WriteUntilWhole(output, sequence, entry, flags, byUid, withFlags, items, ref next, ref first);
            if (next == items.Count)
            {
                break;
            }

            var item = items[next++];
            var from = Math.Min(item.PartialStart ?? 0, length);
            var count = Math.Min(item.PartialCount ?? long.MaxValue, length - from);
            IndexedFetchWriter.WriteLiteralStart(output, item, count, ref first);
            if (!await CopyMessageAsync(stream, from, count, cancellationToken))
            {
                if (_connection.Flushed != flushed)
                {
                    // Part of the literal is on the wire already: the response cannot be taken back.
                    throw new IOException("message file of UID " + entry.Uid.ToString(CultureInfo.InvariantCulture) + " shrank while it was sent");
                }

                _context.Logger.LogWarning("FETCH skipped UID {Uid}: its file shrank while it was read", entry.Uid);
                output.SetLength(mark);
                return false;
            }
        }

        output.Write(")\r\n"u8);
        return true;
    }

    private static async Task<Stream> CopiedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy, cancellationToken);
        copy.Position = 0;
        return copy;
    }

    // Appends count octets of the message from offset `from` to the output buffer, flushing between chunks of a large
    // one; false when the file ends early.
    private async Task<bool> CopyMessageAsync(Stream stream, long from, long count, CancellationToken cancellationToken)
    {
        var output = _connection.Output;
        var handle = (stream as FileStream)?.SafeFileHandle;
        if (handle is null)
        {
            stream.Seek(from, SeekOrigin.Begin);
        }

        while (count > 0)
        {
            var chunk = (int)Math.Min(count, WholeMessageChunk);
            var at = (int)output.Length;
            output.SetLength(at + chunk);
            var into = output.GetBuffer().AsMemory(at, chunk);
            int read;
            if (handle is not null)
            {
                // A Maildir file, read where it lies: synchronously, as a read from the page cache takes microseconds
                // and the asynchronous file read would hop to the thread pool for each message.
                read = 0;
                while (read < chunk && RandomAccess.Read(handle, into.Span[read..], from + read) is var n and > 0)
                {
                    read += n;
                }
            }
            else
            {
                read = await stream.ReadAtLeastAsync(into, chunk, throwOnEndOfStream: false, cancellationToken);
            }

            output.Position = output.Length;
            if (read < chunk)
            {
                return false;
            }

            from += chunk;
            count -= chunk;
            if (count > 0)
            {
                await _connection.FlushAsync(cancellationToken);
            }
        }

        return true;
    }

    private static async Task<byte[]?> ReadMessageAsync(IMailbox mailbox, MessageEntry entry, CancellationToken cancellationToken)
    {
        await using var stream = mailbox.OpenMessage(entry);
        if (stream is null)
        {
            return null;
        }

        using var buffer = new MemoryStream(entry.Size is > 0 and < int.MaxValue ? (int)entry.Size : 4096);
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static bool TryKeyword(ImapTokenizer t, string keyword) => t.TryKeyword(keyword);

    // RFC 2177: untagged updates are pushed while idling; the client ends with DONE.
    private async Task<string> IdleAsync(string tag, CancellationToken cancellationToken)
    {
        _connection.WriteLine("+ idling");
        await _connection.FlushAsync(cancellationToken);
        var done = _connection.ReadLineAsync(1024, flush: false, cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            return await IdleLoopAsync(done, stop.Token, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    // No polling: the store's change notification (its own changes, deliveries, and inotify for other programs)
    // wakes the session, so a quiet mailbox costs nothing while idling.
    private async Task<string> IdleLoopAsync(Task<byte[]?> done, CancellationToken waitToken, CancellationToken cancellationToken)
    {
        while (true)
        {
            var tick = _selected is { } selected ? selected.Mailbox.WaitForChangeAsync(selected.SeenVersion, waitToken) : Task.Delay(Timeout.Infinite, waitToken);
            if (await Task.WhenAny(done, tick) == done)
            {
                var line = await done;
                if (line is null)
                {
                    _done = true;
                    return "";
                }

                return System.Text.Encoding.ASCII.GetString(line).Equals("DONE", StringComparison.OrdinalIgnoreCase)
                    ? "OK IDLE terminated"
                    : "BAD Expected DONE";
            }

            await SyncAsync(allowExpunge: true, cancellationToken);
            await _connection.FlushAsync(cancellationToken);
        }
    }
}
