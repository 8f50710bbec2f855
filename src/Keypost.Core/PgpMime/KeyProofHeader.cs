using System.Text;
using MimeKit;

namespace Keypost.Core.PgpMime;

/// <summary>
/// The header field carrying the sender's key transparency proof (docs/transparency.md, "Proof inside the
/// message"). It lives only in the encrypted root part beside the RFC 9788 protected headers, so it is covered by
/// the signature and never shown to transport; the composer never copies it to the outer message.
/// </summary>
public static class KeyProofHeader
{
    public const string Field = "Keypost-Key-Proof";

    /// <summary>The field: base64 in words of 76 characters, so it folds within RFC 5322 §2.1.1's 78-character lines.</summary>
    public static Header Create(ReadOnlySpan<byte> proof)
    {
        var base64 = Convert.ToBase64String(proof);
        var words = new StringBuilder(base64.Length + (base64.Length / 76));
        for (var i = 0; i < base64.Length; i += 76)
        {
            words.Append(i == 0 ? "" : " ").Append(base64.AsSpan(i, Math.Min(76, base64.Length - i)));
        }

        return new Header(Field, words.ToString());
    }

    /// <summary>
    /// The proof in <paramref name="entity"/>'s header: null when there is none, an empty array when the field is
    /// present but is not exactly one base64 value (a reader reports that, never ignores it).
    /// </summary>
    public static byte[]? Read(MimeEntity? entity) => Read(entity?.Headers);

    /// <inheritdoc cref="Read(MimeEntity?)"/>
    public static byte[]? Read(HeaderList? headers)
    {
        var fields = headers?.Where(h => string.Equals(h.Field, Field, StringComparison.OrdinalIgnoreCase)).ToList() ?? [];
        if (fields.Count == 0)
        {
            return null;
        }

        if (fields.Count > 1)
        {
            return [];
        }

        var text = string.Concat(fields[0].Value.Where(c => !char.IsWhiteSpace(c)));
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
