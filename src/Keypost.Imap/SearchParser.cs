using System.Globalization;
using System.Text;
using MimeKit;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>SEARCH keys (RFC 9051 §6.4.4) compiled to a predicate; ESEARCH return options are not supported.</summary>
internal static class SearchParser
{
    /// <summary>
    /// How deep parentheses, NOT and OR may nest. The parser and the predicate it builds both recurse once per
    /// level, and a stack overflow cannot be caught in .NET: it takes the whole process down. No real client
    /// nests more than a few levels.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>Compiles the keys; every header key (field upper-cased, value) is added to <paramref name="headerKeys"/>,
    /// so the session can ask the store's index for them before looking at any message, and those every match must
    /// satisfy (keys of the top-level conjunction, outside NOT and OR) to <paramref name="requiredKeys"/> as well,
    /// so the session can look only at the messages the index found for them.</summary>
    public static Func<SearchCandidate, bool> Parse(
        ImapTokenizer t, List<(string Field, string Value)> headerKeys, List<(string Field, string Value)>? requiredKeys = null) =>
        Parse(t, 0, headerKeys, requiredKeys);

    private static Func<SearchCandidate, bool> Parse(
        ImapTokenizer t, int depth, List<(string Field, string Value)> headerKeys, List<(string Field, string Value)>? requiredKeys)
    {
        var first = Key(t, depth, headerKeys, requiredKeys);
        var keys = new List<Func<SearchCandidate, bool>> { first };
        while (t.TrySpace())
        {
            keys.Add(Key(t, depth, headerKeys, requiredKeys));
        }

        return c => keys.All(k => k(c));
    }

    // requiredKeys is null inside NOT and OR, where a key no longer has to hold for a message to match.
    private static Func<SearchCandidate, bool> Key(
        ImapTokenizer t, int depth, List<(string Field, string Value)> headerKeys, List<(string Field, string Value)>? requiredKeys = null)
    {
        if (++depth > MaxDepth)
        {
            throw new ImapParseException("search keys nested too deep");
        }

        if (SequenceSet.IsStart(t.Peek))
        {
            var set = SequenceSet.Parse(t);
            return c => set.Contains(c.Sequence, c.Count);
        }

        if (t.TryTake('('))
        {
            var inner = Parse(t, depth, headerKeys, requiredKeys);
            t.Expect(')');
            return inner;
        }

        var name = t.Atom().ToUpperInvariant();
        switch (name)
        {
            case "ALL":
                return _ => true;
            case "ANSWERED": return Has(MessageFlags.Answered);
            case "DELETED": return Has(MessageFlags.Deleted);
            case "DRAFT": return Has(MessageFlags.Draft);
            case "FLAGGED": return Has(MessageFlags.Flagged);
            case "SEEN": return Has(MessageFlags.Seen);
            case "UNANSWERED": return Not(Has(MessageFlags.Answered));
            case "UNDELETED": return Not(Has(MessageFlags.Deleted));
            case "UNDRAFT": return Not(Has(MessageFlags.Draft));
            case "UNFLAGGED": return Not(Has(MessageFlags.Flagged));
            case "UNSEEN": return Not(Has(MessageFlags.Seen));
            // \Recent is not kept (IMAP4rev2 dropped it): no message is recent, so NEW and RECENT match nothing.
            case "NEW": case "RECENT": return _ => false;
            case "OLD": return _ => true;
            case "KEYWORD": t.Space(); t.Atom(); return _ => false;
            case "UNKEYWORD": t.Space(); t.Atom(); return _ => true;
            case "NOT":
                t.Space();
                return Not(Key(t, depth, headerKeys));
            case "OR":
                t.Space();
                var left = Key(t, depth, headerKeys);
                t.Space();
                var right = Key(t, depth, headerKeys);
                return c => left(c) || right(c);
            case "UID":
                t.Space();
                var uids = SequenceSet.Parse(t);
                return c => uids.Contains(c.Uid, c.LargestUid);
            case "LARGER":
                t.Space();
                var larger = t.Number();
                return c => c.Entry is { } e && e.Size > larger;
            case "SMALLER":
                t.Space();
                var smaller = t.Number();
                return c => c.Entry is { } e && e.Size < smaller;
            case "FROM": case "TO": case "CC": case "BCC": case "SUBJECT":
                return HeaderContains(name, Argument(t), headerKeys, requiredKeys);
            case "HEADER":
                t.Space();
                var field = t.AString();
                return HeaderContains(field, Argument(t), headerKeys, requiredKeys);
            case "BODY":
                var bodyText = Argument(t);
                return c => c.MayContain(bodyText) && c.Parsed is { } p && Contains(Encoding.UTF8.GetString(p.Raw, (int)p.HeaderEnd(0, p.Raw.Length), p.Raw.Length - (int)p.HeaderEnd(0, p.Raw.Length)), bodyText);
            case "TEXT":
                var anyText = Argument(t);
                return c => c.MayContain(anyText) && c.Parsed is { } p && Contains(Encoding.UTF8.GetString(p.Raw), anyText);
            case "SINCE": return Date(t, (d, v) => d >= v, internalDate: true);
            case "BEFORE": return Date(t, (d, v) => d < v, internalDate: true);
            case "ON": return Date(t, (d, v) => d == v, internalDate: true);
            case "SENTSINCE": return Date(t, (d, v) => d >= v, internalDate: false);
            case "SENTBEFORE": return Date(t, (d, v) => d < v, internalDate: false);
            case "SENTON": return Date(t, (d, v) => d == v, internalDate: false);
            default:
                throw new ImapParseException("unknown search key " + name);
        }
    }

    private static string Argument(ImapTokenizer t)
    {
        t.Space();
        return t.AString();
    }

    private static Func<SearchCandidate, bool> Has(MessageFlags flag) => c => c.Flags.HasFlag(flag);

    private static Func<SearchCandidate, bool> Not(Func<SearchCandidate, bool> inner) => c => !inner(c);

    private static bool Contains(string haystack, string needle) => haystack.Contains(needle, StringComparison.OrdinalIgnoreCase);

    // RFC 9051 §6.4.4: header searches match a substring of the field's value; an empty string matches any
    // message that has the field.
    private static Func<SearchCandidate, bool> HeaderContains(
        string field, string value, List<(string Field, string Value)> headerKeys, List<(string Field, string Value)>? requiredKeys)
    {
        // Upper-cased once here, not once per message.
        var upper = field.ToUpperInvariant();
        headerKeys.Add((upper, value));
        requiredKeys?.Add((upper, value));
        var fromMessage = HeaderContains(field, value);
        return c => c.IndexedHeader(upper, value) ?? fromMessage(c);
    }

    private static Func<SearchCandidate, bool> HeaderContains(string field, string value) => c =>
    {
        if (c.Message is not { } message)
        {
            return false;
        }

        foreach (var header in message.Headers.Where(h => h.Field.Equals(field, StringComparison.OrdinalIgnoreCase)))
        {
            if (value.Length == 0 || Contains(header.Value, value) || Contains(Encoding.UTF8.GetString(header.RawValue), value))
            {
                return true;
            }
        }

        return false;
    };

    // Dates compare by day only, ignoring time and zone (RFC 9051 §6.4.4).
    private static Func<SearchCandidate, bool> Date(ImapTokenizer t, Func<DateOnly, DateOnly, bool> compare, bool internalDate)
    {
        t.Space();
        var text = t.AString();
        if (!DateOnly.TryParseExact(text, "d-MMM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            throw new ImapParseException("bad date " + text);
        }

        return c =>
        {
            DateTimeOffset? date = internalDate ? c.Entry?.InternalDate : c.Message is { } m && m.Headers.Contains(HeaderId.Date) ? m.Date : null;
            return date is { } d && compare(DateOnly.FromDateTime(d.DateTime), value);
        };
    }
}
