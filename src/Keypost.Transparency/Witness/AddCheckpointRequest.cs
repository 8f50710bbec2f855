using System.Globalization;
using System.Text;
using Keypost.Transparency.Notes;

namespace Keypost.Transparency.Witness;

/// <summary>
/// The body of a C2SP tlog-witness add-checkpoint request: "old &lt;size&gt;", up to 63 base64 consistency-proof
/// lines, an empty line, then the signed checkpoint note.
/// </summary>
public sealed record AddCheckpointRequest(long OldSize, IReadOnlyList<byte[]> Proof, string Note)
{
    /// <summary>C2SP tlog-witness: the client MUST NOT send more than 63 consistency proof lines.</summary>
    public const int MaxProofLines = 63;

    public string Format()
    {
        var builder = new StringBuilder("old ").Append(OldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in Proof)
        {
            builder.Append(Convert.ToBase64String(hash)).Append('\n');
        }

        return builder.Append('\n').Append(Note).ToString();
    }

    public static AddCheckpointRequest Parse(string body)
    {
        var lineEnd = body.IndexOf('\n');
        if (lineEnd < 0 || !body.StartsWith("old ", StringComparison.Ordinal))
        {
            throw new NoteFormatException("the request does not start with an old size line");
        }

        var size = body[4..lineEnd];
        if (size.Length == 0 || size.Any(c => c is < '0' or > '9') || (size.Length > 1 && size[0] == '0')
            || !long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var oldSize))
        {
            throw new NoteFormatException("the old size is a decimal without leading zeroes");
        }

        var proof = new List<byte[]>();
        var position = lineEnd + 1;
        while (true)
        {
            var next = body.IndexOf('\n', position);
            if (next < 0)
            {
                throw new NoteFormatException("the request has no empty line before the checkpoint");
            }

            if (next == position)
            {
                position = next + 1;
                break;
            }

            if (proof.Count == MaxProofLines)
            {
                throw new NoteFormatException("more than 63 consistency proof lines");
            }

            byte[] hash;
            try
            {
                hash = Convert.FromBase64String(body[position..next]);
            }
            catch (FormatException)
            {
                throw new NoteFormatException("a consistency proof line is not base64");
            }

            if (hash.Length != Log.MerkleHash.Size)
            {
                throw new NoteFormatException("a consistency proof hash has 32 bytes");
            }

            proof.Add(hash);
            position = next + 1;
        }

        return new AddCheckpointRequest(oldSize, proof, body[position..]);
    }
}
