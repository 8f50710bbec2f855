using System.Text;

namespace Keypost.Transparency.Notes;

/// <summary>
/// In charge of signed notes and checkpoints (C2SP signed-note, tlog-checkpoint). A C2SP signed-note (https://c2sp.org/signed-note): text ending in a newline, a blank line, signature lines.
/// </summary>
public sealed class SignedNote
{
    /// <summary>C2SP signed-note: verifiers must accept at least 16 signatures; we cap the note's size instead.</summary>
    public const int MaxLength = 64 * 1024;

    private const string SignaturePrefix = "\u2014 ";

    public SignedNote(string text, IReadOnlyList<NoteSignature> signatures)
    {
        Text = text;
        Signatures = signatures;
    }

    /// <summary>The signed text, including its final newline.</summary>
    public string Text { get; }

    public IReadOnlyList<NoteSignature> Signatures { get; }

    public static SignedNote Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength)
        {
            throw new NoteFormatException("the note is larger than 64 KiB");
        }

        string note;
        try
        {
            note = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new NoteFormatException("the note is not valid UTF-8");
        }

        return Parse(note);
    }

    public static SignedNote Parse(string note)
    {
        // C2SP signed-note: no ASCII control characters other than newline.
        if (note.Any(c => c < 0x20 && c != '\n'))
        {
            throw new NoteFormatException("the note contains a control character");
        }

        if (!note.EndsWith('\n'))
        {
            throw new NoteFormatException("the note does not end in a newline");
        }

        // The text is separated from the signatures by the last empty line.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new NoteFormatException("the note has no blank line before its signatures");
        }

        var text = note[..(split + 1)];
        var signatureBlock = note[(split + 2)..];
        var signatures = new List<NoteSignature>();
        foreach (var line in signatureBlock.Split('\n', StringSplitOptions.None)[..^1])
        {
            signatures.Add(ParseSignatureLine(line));
        }

        if (signatures.Count == 0)
        {
            throw new NoteFormatException("the note carries no signature");
        }

        return new SignedNote(text, signatures);
    }

    public string Format()
    {
        var builder = new StringBuilder(Text).Append('\n');
        foreach (var signature in Signatures)
        {
            var blob = new byte[4 + signature.Signature.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, signature.KeyId);
            signature.Signature.CopyTo(blob, 4);
            builder.Append(SignaturePrefix).Append(signature.KeyName).Append(' ').Append(Convert.ToBase64String(blob)).Append('\n');
        }

        return builder.ToString();
    }

    private static NoteSignature ParseSignatureLine(string line)
    {
        if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            throw new NoteFormatException("a signature line does not start with an em dash and a space");
        }

        var rest = line[SignaturePrefix.Length..];
        var space = rest.IndexOf(' ');
        if (space <= 0 || rest.IndexOf(' ', space + 1) >= 0)
        {
            throw new NoteFormatException("a signature line is not '— <name> <base64>'");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(rest[(space + 1)..]);
        }
        catch (FormatException)
        {
            throw new NoteFormatException("a signature is not valid base64");
        }

        if (blob.Length < 5)
        {
            throw new NoteFormatException("a signature is shorter than its key ID");
        }

        var id = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob);
        return new NoteSignature(rest[..space], id, blob[4..]);
    }
}
