namespace Keypost.Imap;

/// <summary>
/// One FETCH data item (RFC 9051 §6.4.5). For BODY[...] items <see cref="Path"/> holds the part numbers,
/// <see cref="Text"/> the section text (HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME or empty).
/// </summary>
internal sealed record FetchItem(string Name, bool HasSection, int[] Path, string Text, IReadOnlyList<string> Fields, bool Peek, long? PartialStart, long? PartialCount)
{
    public static FetchItem Simple(string name) => new(name, false, [], "", [], false, null, null);

    /// <summary>How the item is named in the response: BODY[1.HEADER.FIELDS (FROM)]&lt;0&gt;.</summary>
    public string ResponseName
    {
        get
        {
            if (!HasSection)
            {
                return Name;
            }

            var section = string.Join('.', Path.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (Text.Length > 0)
            {
                section = section.Length > 0 ? section + "." + Text : Text;
            }

            if (Fields.Count > 0)
            {
                section += " (" + string.Join(' ', Fields) + ")";
            }

            var name = Name;
            var partial = PartialStart is { } start ? "<" + start.ToString(System.Globalization.CultureInfo.InvariantCulture) + ">" : "";
            return name + "[" + section + "]" + partial;
        }
    }
}
