namespace Keypost.Core.PgpMime;

/// <summary>
/// The write end of a synchronous BouncyCastle pipeline (armor writes with the platform's line end): collects
/// what is written, with every bare LF turned into CRLF (RFC 5322 §2.3, RFC 3156 §3: stored mail is in canonical
/// form), until the caller drains it asynchronously into the real output. Never closes anything.
/// </summary>
internal sealed class CrlfBuffer : Stream
{
    private readonly MemoryStream pending = new();
    private byte last;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Bytes written and not yet drained.</summary>
    public long Pending => pending.Length;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var start = 0;
        for (var i = 0; i < buffer.Length; i++)
        {
            var previous = i == 0 ? last : buffer[i - 1];
            if (buffer[i] == (byte)'\n' && previous != (byte)'\r')
            {
                pending.Write(buffer[start..i]);
                pending.Write("\r\n"u8);
                start = i + 1;
            }
        }

        pending.Write(buffer[start..]);
        if (buffer.Length > 0)
        {
            last = buffer[^1];
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Writes everything pending to <paramref name="output"/> and forgets it.</summary>
    public async Task DrainAsync(Stream output, CancellationToken cancellationToken)
    {
        if (pending.Length == 0)
        {
            return;
        }

        await output.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), cancellationToken);
        pending.SetLength(0);
    }

    public override void Flush()
    {
        // Nothing to do: the caller drains.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pending.Dispose();
        }

        base.Dispose(disposing);
    }
}
