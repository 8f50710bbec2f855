using System.Buffers.Text;
using System.Text;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// ASCII armor (RFC 4880 §6.2) for export; the block type follows from the first packet. Written here in one pass
/// over the bytes because BouncyCastle's ArmoredOutputStream, one virtual call per byte, was a quarter of the CPU
/// of encrypting a 10 KB message (issue #14). The output is byte for byte what that stream wrote: LF line ends, no
/// headers, 64 characters a line, the CRC-24 line.
/// </summary>
internal static class OpenPgpArmor
{
    // RFC 4880 §6.3: at most 76 characters a line; 64 (48 octets) is what gpg and BouncyCastle write.
    private const int OctetsPerLine = 48;

    public static string Armor(byte[] binary) => Encoding.ASCII.GetString(ArmorAscii(binary));

    /// <summary>The armored form as ASCII octets (for a MIME part), without a detour through a string.</summary>
    public static byte[] ArmorAscii(ReadOnlySpan<byte> binary)
    {
        if (binary.IsEmpty)
        {
            return [];
        }

        var type = BlockType(binary[0]);
        var head = Encoding.ASCII.GetBytes($"-----BEGIN {type}-----\n\n");
        var tail = Encoding.ASCII.GetBytes($"-----END {type}-----\n");
        var lines = (binary.Length + OctetsPerLine - 1) / OctetsPerLine;
        var body = Base64.GetMaxEncodedToUtf8Length(binary.Length) + lines;
        // "=" and four characters of CRC-24, then a line end.
        var output = new byte[head.Length + body + 6 + tail.Length];
        head.CopyTo(output, 0);
        var at = head.Length;
        for (var offset = 0; offset < binary.Length; offset += OctetsPerLine)
        {
            var chunk = binary.Slice(offset, Math.Min(OctetsPerLine, binary.Length - offset));
            Base64.EncodeToUtf8(chunk, output.AsSpan(at), out _, out var written);
            at += written;
            output[at++] = (byte)'\n';
        }

        var crc = Crc24(binary);
        output[at++] = (byte)'=';
        Base64.EncodeToUtf8([(byte)(crc >> 16), (byte)(crc >> 8), (byte)crc], output.AsSpan(at), out _, out var crcWritten);
        at += crcWritten;
        output[at++] = (byte)'\n';
        tail.CopyTo(output, at);
        return output;
    }

    // RFC 4880 §4.2: the tag is bits 5-0 of a new-format header octet, bits 5-2 of an old-format one.
    private static string BlockType(byte header) => ((header & 0x40) != 0 ? header & 0x3F : (header & 0x3F) >> 2) switch
    {
        6 => "PGP PUBLIC KEY BLOCK",
        5 => "PGP PRIVATE KEY BLOCK",
        2 => "PGP SIGNATURE",
        _ => "PGP MESSAGE",
    };

    // RFC 4880 §6.1: CRC-24, generator 0x864CFB, initial value 0xB704CE; a table of the 256 one-octet steps.
    private static readonly int[] CrcTable = BuildCrcTable();

    private static int Crc24(ReadOnlySpan<byte> data)
    {
        var crc = 0xB704CE;
        foreach (var b in data)
        {
            crc = (crc << 8) ^ CrcTable[((crc >> 16) ^ b) & 0xFF];
        }

        return crc & 0xFFFFFF;
    }

    private static int[] BuildCrcTable()
    {
        var table = new int[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = i << 16;
            for (var bit = 0; bit < 8; bit++)
            {
                crc <<= 1;
                if ((crc & 0x1000000) != 0)
                {
                    crc ^= 0x1864CFB;
                }
            }

            table[i] = crc & 0xFFFFFF;
        }

        return table;
    }
}
