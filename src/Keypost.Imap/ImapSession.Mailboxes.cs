using System.Globalization;
using System.Text.RegularExpressions;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>Authenticated state: mailbox commands (RFC 9051 §6.3) and APPEND.</summary>
internal sealed partial class ImapSession
{
    private IAccountMailboxes Folders => _folders!;

    private async Task<string?> AuthenticatedCommandAsync(string tag, string name, ImapTokenizer t, CancellationToken cancellationToken)
    {
        switch (name)
        {
            case "ENABLE":
                return Enable(t);
            case "NAMESPACE":
                t.ExpectEnd();
                _connection.WriteLine("* NAMESPACE ((\"\" \".\")) NIL NIL");
                return "OK NAMESPACE completed";
            case "SELECT":
            case "EXAMINE":
                return await SelectAsync(t, readOnly: name == "EXAMINE", cancellationToken);
            case "LIST":
            case "LSUB":
                return List(t, lsub: name == "LSUB");
            case "STATUS":
                return await StatusAsync(t, cancellationToken);
            case "CREATE":
                return Create(t);
            case "DELETE":
                return Delete(t);
            case "RENAME":
                return Rename(t);
            case "SUBSCRIBE":
            case "UNSUBSCRIBE":
                // Every mailbox counts as subscribed: the subscription list is not kept.
                t.Space();
                t.ListMailbox();
                t.ExpectEnd();
                return "OK " + name + " completed";
            case "APPEND":
                return await AppendAsync(t, cancellationToken);
            case "IDLE":
                t.ExpectEnd();
                return await IdleAsync(tag, cancellationToken);
            default:
                return null;
        }
    }

    private string Enable(ImapTokenizer t)
    {
        var enabled = new List<string>();
        while (t.TrySpace())
        {
            var capability = t.Atom().ToUpperInvariant();
            if (capability == "IMAP4REV2")
            {
                _rev2 = true;
                enabled.Add("IMAP4rev2");
            }
        }

        _connection.WriteLine("* ENABLED" + string.Concat(enabled.Select(e => " " + e)));
        return "OK ENABLE completed";
    }

    private string? MailboxArgument(ImapTokenizer t)
    {
        t.Space();
        return MailboxNames.Normalize(t.ListMailbox());
    }

    private async Task<string> SelectAsync(ImapTokenizer t, bool readOnly, CancellationToken cancellationToken)
    {
        var name = MailboxArgument(t);
        if (t.TrySpace())
        {
            // Select parameters (CONDSTORE and the like) are not supported but harmless to ignore.
            t.FlagList();
        }

        t.ExpectEnd();
        if (_selected is not null)
        {
            _selected = null;
            if (_rev2)
            {
                _connection.WriteLine("* OK [CLOSED] Previous mailbox closed");
            }
        }

        if (name is null || !Folders.Exists(name))
        {
            return "NO [NONEXISTENT] No such mailbox";
        }

        var mailbox = Folders.Get(name);
        var update = await mailbox.UpdatesSinceAsync(long.MaxValue, cancellationToken);
        var state = update.State;
        // The store's compact UIDs and flags are all SELECT reads: no message row, no file.
        var selected = new SelectedMailbox(name, mailbox, readOnly) { SeenVersion = update.Version };
        selected.Load(state);

        _selected = selected;
        _connection.WriteLine("* " + selected.Count.ToString(CultureInfo.InvariantCulture) + " EXISTS");
        if (!_rev2)
        {
            _connection.WriteLine("* 0 RECENT");
        }

        _connection.WriteLine("* FLAGS " + ImapFlags.AllFlags);
        _connection.WriteLine("* OK [PERMANENTFLAGS " + (readOnly ? "()" : ImapFlags.AllFlags) + "] Flags permitted");
        _connection.WriteLine("* OK [UIDVALIDITY " + state.UidValidity.ToString(CultureInfo.InvariantCulture) + "] UIDs valid");
        _connection.WriteLine("* OK [UIDNEXT " + state.UidNext.ToString(CultureInfo.InvariantCulture) + "] Predicted next UID");
        var firstUnseen = FirstUnseen(state.AllFlags);
        if (!_rev2 && firstUnseen >= 0)
        {
            _connection.WriteLine("* OK [UNSEEN " + (firstUnseen + 1).ToString(CultureInfo.InvariantCulture) + "] First unseen");
        }

        _writer.Raw("* LIST (");
        Attributes(name, lsub: false);
        _writer.Raw(") \".\" ").NString(name).Line();
        return readOnly ? "OK [READ-ONLY] EXAMINE completed" : "OK [READ-WRITE] SELECT completed";
    }

    private static int FirstUnseen(ReadOnlySpan<MessageFlags> flags)
    {
        for (var i = 0; i < flags.Length; i++)
        {
            if ((flags[i] & MessageFlags.Seen) == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static int CountWith(ReadOnlySpan<MessageFlags> flags, MessageFlags flag, bool set)
    {
        var n = 0;
        foreach (var f in flags)
        {
            n += ((f & flag) != 0) == set ? 1 : 0;
        }

        return n;
    }

    private void Attributes(string name, bool lsub)
    {
        var attributes = new List<string> { Folders.HasChildren(name) ? @"\HasChildren" : @"\HasNoChildren" };
        if (Options.SpecialUseFolders.TryGetValue(name, out var use))
        {
            attributes.Add(use);
        }

        if (lsub)
        {
            attributes.Add(@"\Subscribed");
        }

        _writer.Raw(string.Join(' ', attributes));
    }

    // RFC 9051 §6.3.9 with the LIST-EXTENDED forms clients send when SPECIAL-USE is offered (RFC 6154 §5.1):
    // selection options before the reference and RETURN options after the pattern are accepted.
    private string List(ImapTokenizer t, bool lsub)
    {
        t.Space();
        if (t.Peek == '(')
        {
            t.FlagList();
            t.Space();
        }

        var reference = t.ListMailbox();
        t.Space();
        var patterns = new List<string>();
        if (t.TryTake('('))
        {
            do
            {
                patterns.Add(t.ListMailbox());
            }
            while (t.TrySpace());

            t.Expect(')');
        }
        else
        {
            patterns.Add(t.ListMailbox());
        }

        var returnSubscribed = lsub;
        if (t.TrySpace())
        {
            if (!t.Atom().Equals("RETURN", StringComparison.OrdinalIgnoreCase))
            {
                throw new ImapParseException("expected RETURN");
            }

            t.Space();
            returnSubscribed |= t.FlagList().Any(o => o.Equals("SUBSCRIBED", StringComparison.OrdinalIgnoreCase));
        }

        t.ExpectEnd();
        var verb = lsub ? "LSUB" : "LIST";
        if (patterns.Count == 1 && patterns[0].Length == 0)
        {
            // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and root.
            _connection.WriteLine("* " + verb + " (\\Noselect) \".\" \"\"");
            return "OK " + verb + " completed";
        }

        var matchers = patterns.Select(p => Pattern(reference + p)).ToList();
        var existing = Folders.List();
        // RFC 9051 §6.3.9: with '%' last, levels of hierarchy that match but are not mailboxes (a parent deleted
        // under its children, §6.3.5) are returned as \Noselect.
        var trailing = patterns.Where(p => p.EndsWith('%')).Select(p => Pattern(reference + p)).ToList();
        var implied = existing
            .SelectMany(n => Enumerable.Range(1, n.Count(c => c == '.')).Select(i => string.Join('.', n.Split('.')[..i])))
            .Where(p => !existing.Contains(p) && trailing.Any(m => m.IsMatch(p)))
            .ToHashSet(StringComparer.Ordinal);
        var names = existing.Where(n => matchers.Any(m => m.IsMatch(n)));
        if (implied.Count > 0)
        {
            names = names.Concat(implied).Order(StringComparer.Ordinal);
        }

        foreach (var mailbox in names)
        {
            _writer.Raw("* " + verb + " (");
            if (implied.Contains(mailbox))
            {
                _writer.Raw(@"\Noselect \HasChildren");
            }
            else
            {
                Attributes(mailbox, returnSubscribed);
            }

            _writer.Raw(") \".\" ").NString(mailbox).Line();
        }

        return "OK " + verb + " completed";
    }

    // '*' matches anything, '%' anything but the hierarchy delimiter; INBOX matches case-insensitively.
    private static Regex Pattern(string pattern)
    {
        var regex = "^" + string.Concat(pattern.Select(c => c switch
        {
            '*' => ".*",
            '%' => "[^.]*",
            _ => Regex.Escape(c.ToString()),
        })) + "$";
        if (pattern.StartsWith("INBOX", StringComparison.OrdinalIgnoreCase))
        {
            regex = "^(?i:INBOX)" + regex[(1 + Regex.Escape("INBOX").Length)..];
        }

        return new Regex(regex, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private async Task<string> StatusAsync(ImapTokenizer t, CancellationToken cancellationToken)
    {
        var name = MailboxArgument(t);
        t.Space();
        var items = t.FlagList().Select(i => i.ToUpperInvariant()).ToList();
        t.ExpectEnd();
        if (name is null || !Folders.Exists(name))
        {
            return "NO [NONEXISTENT] No such mailbox";
        }

        var state = await Folders.Get(name).SnapshotAsync(cancellationToken);
        var values = new List<string>();
        foreach (var item in items)
        {
            long? value = item switch
            {
                "MESSAGES" => state.Count,
                "UIDNEXT" => state.UidNext,
                "UIDVALIDITY" => state.UidValidity,
                "UNSEEN" => CountWith(state.AllFlags, MessageFlags.Seen, set: false),
                "DELETED" => CountWith(state.AllFlags, MessageFlags.Deleted, set: true),
                "SIZE" => state.Messages.Sum(m => m.Size),
                "RECENT" => 0,
                _ => null,
            };
            if (value is null)
            {
                return "BAD Unknown status item " + item;
            }

            values.Add(item + " " + value.Value.ToString(CultureInfo.InvariantCulture));
        }

        _writer.Raw("* STATUS ").NString(name).Raw(" (" + string.Join(' ', values) + ")").Line();
        return "OK STATUS completed";
    }

    private string Create(ImapTokenizer t)
    {
        var name = MailboxArgument(t);
        t.ExpectEnd();
        if (name is null)
        {
            return "NO [CANNOT] Invalid mailbox name";
        }

        if (Folders.Exists(name))
        {
            return "NO [ALREADYEXISTS] Mailbox exists";
        }

        // RFC 9051 §6.3.4: missing superior hierarchical names SHOULD be created too.
        var levels = name.Split('.');
        for (var i = 1; i < levels.Length; i++)
        {
            var parent = string.Join('.', levels[..i]);
            if (!Folders.Exists(parent))
            {
                Folders.Create(parent);
            }
        }

        Folders.Create(name);
        return "OK CREATE completed";
    }

    private string Delete(ImapTokenizer t)
    {
        var name = MailboxArgument(t);
        t.ExpectEnd();
        if (name is null || !Folders.Exists(name))
        {
            return "NO [NONEXISTENT] No such mailbox";
        }

        if (MailboxNames.IsInbox(name))
        {
            return "NO [CANNOT] INBOX cannot be deleted";
        }

        if (_selected?.Name == name)
        {
            _selected = null;
        }

        Folders.Delete(name);
        return "OK DELETE completed";
    }

    private string Rename(ImapTokenizer t)
    {
        var from = MailboxArgument(t);
        var to = MailboxArgument(t);
        t.ExpectEnd();
        if (from is null || !Folders.Exists(from))
        {
            return "NO [NONEXISTENT] No such mailbox";
        }

        if (to is null || MailboxNames.IsInbox(from) || MailboxNames.IsInbox(to))
        {
            return "NO [CANNOT] Cannot rename to or from INBOX";
        }

        if (Folders.Exists(to) || to.StartsWith(from + ".", StringComparison.Ordinal))
        {
            return "NO [ALREADYEXISTS] Target exists";
        }

        Folders.Rename(from, to);
        return "OK RENAME completed";
    }

    // RFC 9051 §6.3.12: APPEND mailbox [flags] [date-time] literal; written into tmp/, fsynced, then published.
    private async Task<string> AppendAsync(ImapTokenizer t, CancellationToken cancellationToken)
    {
        var name = MailboxArgument(t);
        t.Space();
        var flags = MessageFlags.None;
        if (t.Peek == '(')
        {
            flags = ImapFlags.FromImap(t.FlagList());
            t.Space();
        }

        var date = DateTimeOffset.UtcNow;
        if (t.Peek == '"')
        {
            var text = System.Text.Encoding.ASCII.GetString(t.StringBytes()).Trim();
            if (!DateTimeOffset.TryParseExact(text, ["d-MMM-yyyy HH:mm:ss zzz", "dd-MMM-yyyy HH:mm:ss zzz"], CultureInfo.InvariantCulture, DateTimeStyles.None, out date)
                && !DateTimeOffset.TryParseExact(FixZone(text), ["d-MMM-yyyy HH:mm:ss zzz"], CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            {
                return "BAD Invalid date-time";
            }

            t.Space();
        }

        if (t.Peek != '{')
        {
            return "BAD Expected a literal";
        }

        var message = t.StringBytes();
        t.ExpectEnd();
        if (name is null || !Folders.Exists(name))
        {
            return "NO [TRYCREATE] No such mailbox";
        }

        if (message.Length == 0)
        {
            return "NO Empty message";
        }

        var mailbox = Folders.Get(name);
        uint validity, uid;
        using (var source = new MemoryStream(message, writable: false))
        {
            var stored = Options.AppendFilter is { } filter && _account is { } account
                ? await filter.PrepareAsync(account, source, cancellationToken)
                : source;
            await using (stored == source ? null : stored)
            {
                (validity, uid) = await mailbox.AppendAsync(stored, flags, date, cancellationToken);
            }
        }

        if (_selected is not null)
        {
            await SyncAsync(allowExpunge: false, cancellationToken);
        }

        return "OK [APPENDUID " + validity.ToString(CultureInfo.InvariantCulture) + " " + uid.ToString(CultureInfo.InvariantCulture) + "] APPEND completed";
    }

    // "+0100" is what .NET's zzz wants as "+01:00".
    private static string FixZone(string text) =>
        text.Length > 5 && text[^5] is '+' or '-' ? text[..^2] + ":" + text[^2..] : text;
}
