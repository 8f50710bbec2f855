using System.Buffers;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// Writes one OpenPGP packet of unknown length as it streams: new-format header (RFC 4880 §4.2), the body in
/// partial chunks of 64 KiB and a last chunk with a definite length, so nothing is held beyond one chunk.
/// </summary>
internal sealed class PacketBodyWriter : WriteOnlyStream
{
    // RFC 4880 §4.2.2.4: a partial length is a power of two (0xE0 + exponent) and the first is at least 512.
    private const int ChunkExponent = 16;
    private const int ChunkSize = 1 << ChunkExponent;

    private readonly Stream output;
    private readonly byte[] chunk;
    private int filled;
    private bool disposed;

    public PacketBodyWriter(Stream output, int tag)
    {
        this.output = output;
        chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        // RFC 4880 §4.2: bit 7 always one, bit 6 one for the new format, then the tag.
        output.WriteByte((byte)(0xC0 | tag));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, ChunkSize - filled);
            buffer[..take].CopyTo(chunk.AsSpan(filled));
            filled += take;
            buffer = buffer[take..];
            if (filled == ChunkSize && !buffer.IsEmpty)
            {
                // A full chunk goes out as partial only when more follows: the last one must carry a definite length.
                output.WriteByte(0xE0 | ChunkExponent);
                output.Write(chunk, 0, ChunkSize);
                filled = 0;
            }
        }
    }

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposed && disposing)
        {
            disposed = true;
            WriteLength(output, filled);
            output.Write(chunk, 0, filled);
            ArrayPool<byte>.Shared.Return(chunk);
        }

        base.Dispose(disposing);
    }

    // RFC 4880 §4.2.2.1-3: one, two or five octet body length.
    internal static void WriteLength(Stream output, int length)
    {
        if (length < 192)
        {
            output.WriteByte((byte)length);
        }
        else if (length < 8384)
        {
            var rest = length - 192;
            output.WriteByte((byte)((rest >> 8) + 192));
            output.WriteByte((byte)rest);
        }
        else
        {
            Span<byte> five = [0xFF, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];
            output.Write(five);
        }
    }
}
