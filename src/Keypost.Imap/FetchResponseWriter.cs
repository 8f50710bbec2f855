using System.Globalization;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>One untagged FETCH response (RFC 9051 §7.5.2) for the requested data items.</summary>
internal static class FetchResponseWriter
{
    public static void Write(ImapWriter w, uint sequence, MessageEntry entry, ParsedMessage? parsed, bool byUid, bool withFlags, List<FetchItem> items)
    {
        w.Raw("* ").Number(sequence).Raw(" FETCH (");
        var first = true;
        void Next(string name)
        {
            w.Raw(first ? name : " " + name);
            first = false;
        }

        if (byUid && !items.Any(i => i.Name == "UID"))
        {
            Next("UID ");
            w.Number(entry.Uid);
        }

        if (withFlags)
        {
            Next("FLAGS " + ImapFlags.ToImap(entry.Flags));
        }

        foreach (var item in items)
        {
            switch (item.Name)
            {
                case "UID":
                    Next("UID ");
                    w.Number(entry.Uid);
                    break;
                case "FLAGS":
                    Next("FLAGS " + ImapFlags.ToImap(entry.Flags));
                    break;
                case "INTERNALDATE":
                    Next("INTERNALDATE \"" + entry.InternalDate.ToString("dd-MMM-yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + "+0000\"");
                    break;
                case "RFC822.SIZE":
                    Next("RFC822.SIZE ");
                    w.Number(entry.Size);
                    break;
                case "ENVELOPE":
                    Next("ENVELOPE ");
                    EnvelopeWriter.Write(w, parsed!.Message);
                    break;
                case "BODYSTRUCTURE":
                case "BODY" when !item.HasSection:
                    Next(item.Name + " ");
                    BodyStructureWriter.Write(w, parsed!, parsed!.Message.Body, extensions: item.Name == "BODYSTRUCTURE");
                    break;
                case "RFC822":
                case "RFC822.HEADER":
                case "RFC822.TEXT":
                    var text = item.Name switch { "RFC822" => "", "RFC822.HEADER" => "HEADER", _ => "TEXT" };
                    Next(item.Name + " ");
                    w.Literal(SectionExtractor.Extract(parsed!, new FetchItem("BODY", true, [], text, [], true, null, null)) ?? []);
                    break;
                case "BINARY.SIZE":
                    Next(item.ResponseName + " ");
                    w.Raw(SectionExtractor.ExtractBinary(parsed!, item) is { } sized ? sized.Length.ToString(CultureInfo.InvariantCulture) : "NIL");
                    break;
                default:
                    Next(item.ResponseName + " ");
                    var data = item.Name == "BINARY" ? SectionExtractor.ExtractBinary(parsed!, item) : SectionExtractor.Extract(parsed!, item);
                    if (data is null)
                    {
                        w.Raw("NIL");
                        break;
                    }

                    if (item.PartialStart is { } start)
                    {
                        var from = (int)Math.Min(start, data.Length);
                        var count = (int)Math.Min(item.PartialCount!.Value, data.Length - from);
                        data = data.AsSpan(from, count).ToArray();
                    }

                    if (item.Name == "BINARY" && data.Contains((byte)0))
                    {
                        // RFC 9051 §4.3: literal8 (~{n}) for binary content with NULs.
                        w.Raw("~");
                    }

                    w.Literal(data);
                    break;
            }
        }

        w.Raw(")").Line();
    }
}
