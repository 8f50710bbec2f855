namespace Keypost.Mail.Queue;

/// <summary>
/// Where a message being queued is written: memory while it stays within the inline limit (it then goes into the
/// queue's SQLite database with its record, durable with the group's one commit), a data file once it grows past
/// that (created on the first write beyond the limit, with what was buffered so far).
/// </summary>
internal sealed class SpillingWriteStream(int inlineLimit, Func<FileStream> createFile) : Stream
{
    private MemoryStream? memory = new();
    private FileStream? file;
    private long length;

    /// <summary>The data file, once the message outgrew the inline limit; null while it is in memory.</summary>
    public FileStream? File => file;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => length;

    public override long Position
    {
        get => length;
        set => throw new NotSupportedException();
    }

    /// <summary>The bytes written, when they stayed in memory; null once they went to the file.</summary>
    public byte[]? InlineBytes() => file is null ? memory?.ToArray() : null;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (file is null && length + buffer.Length > inlineLimit)
        {
            Spill();
        }

        if (file is not null)
        {
            file.Write(buffer);
        }
        else
        {
            memory!.Write(buffer);
        }

        length += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (file is null && length + buffer.Length > inlineLimit)
        {
            await SpillAsync(cancellationToken).ConfigureAwait(false);
        }

        if (file is not null)
        {
            await file.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            memory!.Write(buffer.Span);
        }

        length += buffer.Length;
    }

    public override void Flush() => file?.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => file?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file?.Dispose();
            memory?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (file is not null)
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }

        memory?.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Spill()
    {
        file = createFile();
        memory!.WriteTo(file);
        memory.Dispose();
        memory = null;
    }

    private async Task SpillAsync(CancellationToken cancellationToken)
    {
        file = createFile();
        await file.WriteAsync(memory!.GetBuffer().AsMemory(0, (int)memory.Length), cancellationToken).ConfigureAwait(false);
        await memory.DisposeAsync().ConfigureAwait(false);
        memory = null;
    }
}
