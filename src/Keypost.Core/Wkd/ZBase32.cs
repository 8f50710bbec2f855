namespace Keypost.Core.Wkd;

/// <summary>z-base-32 (Zooko's human-oriented base-32), as draft-koch-openpgp-webkey-service §3.1 requires.</summary>
public static class ZBase32
{
    private const string Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[(data.Length * 8 + 4) / 5];
        var bits = 0;
        var buffer = 0;
        var n = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[n++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            chars[n++] = Alphabet[(buffer << (5 - bits)) & 31];
        }

        return new string(chars, 0, n);
    }

    /// <summary>True when <paramref name="text"/> is exactly a 32-character z-base-32 string (a WKD hash).</summary>
    public static bool IsWkdHash(ReadOnlySpan<char> text)
    {
        if (text.Length != WkdHash.Length)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!Alphabet.Contains(c))
            {
                return false;
            }
        }

        return true;
    }
}
