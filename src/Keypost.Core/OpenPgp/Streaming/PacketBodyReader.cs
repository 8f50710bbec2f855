namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// The body of one packet, read through its chunks: each partial length (RFC 9580 §4.2.1.4) is followed by
/// another length, the last one definite.
/// </summary>
internal sealed class PacketBodyReader : ReadOnlyStream
{
    private readonly PacketReader reader;
    private readonly Stream input;
    private readonly bool toEnd;
    private long left;
    private bool partial;

    public PacketBodyReader(PacketReader reader, Stream input, PacketHeader header)
    {
        this.reader = reader;
        this.input = input;
        toEnd = header.ToEnd;
        left = header.Length;
        partial = header.Partial;
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (toEnd)
        {
            return input.Read(buffer);
        }

        while (left == 0)
        {
            if (!partial)
            {
                return 0;
            }

            (left, partial) = reader.ReadNewLength();
        }

        var read = input.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        if (read == 0)
        {
            throw PacketReader.Malformed("a packet body is cut short");
        }

        left -= read;
        return read;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>'s length, or fails as malformed.</summary>
    public void ReadAll(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var read = Read(buffer);
            if (read == 0)
            {
                throw PacketReader.Malformed("a packet body is cut short");
            }

            buffer = buffer[read..];
        }
    }
}
