namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// Reads packet headers and bodies from decrypted (MDC-checked) data without BouncyCastle's packet streams on the
/// hot path: the literal data body is streamed chunk by chunk, the small packets around it read whole.
/// </summary>
internal sealed class PacketReader
{
    private readonly Stream input;

    /// <param name="input">A seekable, buffered stream: <see cref="PacketHeader.Start"/> is its position.</param>
    public PacketReader(Stream input)
    {
        this.input = input;
    }

    /// <summary>The next header, markers skipped (RFC 9580 §5.8); null at the end of the data.</summary>
    public PacketHeader? Next()
    {
        while (true)
        {
            var start = input.Position;
            var first = input.ReadByte();
            if (first < 0)
            {
                return null;
            }

            // RFC 9580 §4.2: bit 7 is always one; bit 6 tells the new format (OpenPGP) from the legacy one.
            if ((first & 0x80) == 0)
            {
                throw Malformed("a packet header lacks its leading bit");
            }

            PacketHeader header;
            if ((first & 0x40) != 0)
            {
                var (length, partial) = ReadNewLength();
                header = new PacketHeader(first & 0x3F, start, length, partial, false);
            }
            else
            {
                // RFC 9580 §4.2.2.5 (legacy format): tag in bits 5-2, length type in bits 1-0.
                var tag = (first >> 2) & 0x0F;
                header = (first & 3) switch
                {
                    0 => new PacketHeader(tag, start, ReadOctets(1), false, false),
                    1 => new PacketHeader(tag, start, ReadOctets(2), false, false),
                    2 => new PacketHeader(tag, start, ReadOctets(4), false, false),
                    _ => new PacketHeader(tag, start, 0, false, true),
                };
            }

            if (header.Tag != 10)
            {
                return header;
            }

            Skip(header);
        }
    }

    /// <summary>The whole body of a small packet (signatures, one-pass signatures), at most <paramref name="max"/> octets.</summary>
    public byte[] ReadBody(PacketHeader header, int max)
    {
        if (header.Partial || header.ToEnd || header.Length > max)
        {
            throw Malformed($"a packet of type {header.Tag} has a length it cannot have");
        }

        var body = new byte[header.Length];
        input.ReadExactly(body);
        return body;
    }

    /// <summary>The body of a data packet as a stream that follows its partial lengths (RFC 9580 §4.2.1.4).</summary>
    public Stream OpenBody(PacketHeader header) => new PacketBodyReader(this, input, header);

    // RFC 9580 §4.2.1: one octet below 192, two up to 8383, five with 255; 224-254 a partial length of 2^(n & 0x1F).
    internal (long Length, bool Partial) ReadNewLength()
    {
        var first = ReadOctet();
        if (first < 192)
        {
            return (first, false);
        }

        if (first < 224)
        {
            return (((first - 192) << 8) + ReadOctet() + 192, false);
        }

        return first == 255 ? (ReadOctets(4), false) : (1L << (first & 0x1F), true);
    }

    internal static OpenPgpException Malformed(string what) =>
        new(OpenPgpError.Malformed, "the decrypted message is malformed: " + what);

    private void Skip(PacketHeader header)
    {
        using var body = OpenBody(header);
        body.CopyTo(Stream.Null);
    }

    private long ReadOctets(int count)
    {
        long value = 0;
        for (var i = 0; i < count; i++)
        {
            value = (value << 8) | (uint)ReadOctet();
        }

        return value;
    }

    private int ReadOctet()
    {
        var octet = input.ReadByte();
        return octet >= 0 ? octet : throw Malformed("a packet header is cut short");
    }
}
