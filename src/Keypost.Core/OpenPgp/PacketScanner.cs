namespace Keypost.Core.OpenPgp;

/// <summary>
/// Walks packet headers (RFC 4880 §4.2) without interpreting bodies, so truncation and wrong content are reported
/// precisely before BouncyCastle sees the data.
/// </summary>
internal static class PacketScanner
{
    // RFC 4880 §4.3 packet tags.
    public const int SecretKey = 5;
    public const int PublicKey = 6;
    public const int SecretSubkey = 7;
    public const int Marker = 10;
    public const int Trust = 12;
    public const int UserId = 13;
    public const int PublicSubkey = 14;
    public const int Signature = 2;
    public const int UserAttribute = 17;

    public static List<int> Tags(byte[] data)
    {
        var tags = new List<int>();
        var offset = 0;
        while (offset < data.Length)
        {
            var header = data[offset];
            if ((header & 0x80) == 0)
            {
                throw offset == 0
                    ? new OpenPgpException(OpenPgpError.NotOpenPgp, "the input is not OpenPGP data")
                    : new OpenPgpException(OpenPgpError.Malformed, $"corrupt OpenPGP packet header at byte {offset}");
            }

            int tag;
            long bodyLength;
            int headerLength;
            if ((header & 0x40) != 0)
            {
                tag = header & 0x3f;
                (bodyLength, headerLength) = NewFormatLength(data, offset);
            }
            else
            {
                tag = (header & 0x3c) >> 2;
                (bodyLength, headerLength) = OldFormatLength(data, offset, header & 0x03);
            }

            if (tag == 0)
            {
                throw offset == 0
                    ? new OpenPgpException(OpenPgpError.NotOpenPgp, "the input is not OpenPGP data")
                    : new OpenPgpException(OpenPgpError.Malformed, $"reserved packet tag 0 at byte {offset}");
            }

            var end = offset + headerLength + bodyLength;
            if (end > data.Length)
            {
                throw new OpenPgpException(
                    OpenPgpError.Truncated,
                    $"the OpenPGP data is truncated: a packet at byte {offset} needs {end - data.Length} more bytes");
            }

            tags.Add(tag);
            offset = (int)end;
        }

        return tags;
    }

    /// <summary>The size in bytes (header and body) of the first packet of <paramref name="data"/>.</summary>
    public static int FirstPacketSize(byte[] data)
    {
        var header = At(data, 0, 0);
        var (bodyLength, headerLength) = (header & 0x40) != 0
            ? NewFormatLength(data, 0)
            : OldFormatLength(data, 0, header & 0x03);
        return checked((int)(headerLength + bodyLength));
    }

    private static (long Length, int HeaderLength) NewFormatLength(byte[] data, int offset)
    {
        // RFC 4880 §4.2.2.
        var first = At(data, offset + 1, offset);
        if (first < 192)
        {
            return (first, 2);
        }

        if (first < 224)
        {
            var second = At(data, offset + 2, offset);
            return (((first - 192) << 8) + second + 192, 3);
        }

        if (first == 255)
        {
            long length = 0;
            for (var i = 0; i < 4; i++)
            {
                length = (length << 8) | (uint)At(data, offset + 2 + i, offset);
            }

            return (length, 6);
        }

        // RFC 4880 §4.2.2.4: partial lengths are for data packets, never for key material.
        throw new OpenPgpException(
            OpenPgpError.NotACertificate,
            $"a partial-length packet at byte {offset}: that is an OpenPGP message, not a key");
    }

    private static (long Length, int HeaderLength) OldFormatLength(byte[] data, int offset, int lengthType)
    {
        // RFC 4880 §4.2.1.
        var octets = lengthType switch
        {
            0 => 1,
            1 => 2,
            2 => 4,
            _ => throw new OpenPgpException(
                OpenPgpError.NotACertificate,
                $"an indeterminate-length packet at byte {offset}: that is an OpenPGP message, not a key"),
        };
        long length = 0;
        for (var i = 0; i < octets; i++)
        {
            length = (length << 8) | (uint)At(data, offset + 1 + i, offset);
        }

        return (length, 1 + octets);
    }

    private static int At(byte[] data, int index, int packetOffset) =>
        index < data.Length
            ? data[index]
            : throw new OpenPgpException(
                OpenPgpError.Truncated,
                $"the OpenPGP data is truncated inside the packet header at byte {packetOffset}");
}
