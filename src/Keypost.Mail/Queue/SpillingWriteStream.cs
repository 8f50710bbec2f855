using System.Buffers;

namespace Keypost.Mail.Queue;

/// <summary>
/// Where a message being queued is written: memory while it stays within the inline limit (it then goes into the
/// queue's SQLite database with its record, durable with the group's one commit), a data file once it grows past
/// that (created on the first write beyond the limit, with what was buffered so far).
/// </summary>
internal sealed class SpillingWriteStream(int inlineLimit, Func<FileStream> createFile) : Stream
{
    // In memory, the bytes go to a buffer from the shared pool, returned once they are copied out or spilled: a
    // growing MemoryStream allocated about three times a 4 KB message's size per message (issue #14).
    private byte[]? memory;
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
    public byte[]? InlineBytes() => file is null ? (memory is null ? [] : memory.AsSpan(0, (int)length).ToArray()) : null;

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
            Append(buffer);
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
            Append(buffer.Span);
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
            ReturnMemory();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (file is not null)
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }

        ReturnMemory();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    // Only while in memory, so within the inline limit (at most 1 MiB).
    private void Append(ReadOnlySpan<byte> data)
    {
        var needed = (int)length + data.Length;
        if (memory is null || needed > memory.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Min(inlineLimit, Math.Max(16 * 1024, (memory?.Length ?? 0) * 2))));
            if (memory is not null)
            {
                memory.AsSpan(0, (int)length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(memory);
            }

            memory = grown;
        }

        data.CopyTo(memory.AsSpan((int)length));
    }

    private void ReturnMemory()
    {
        if (memory is not null)
        {
            ArrayPool<byte>.Shared.Return(memory);
            memory = null;
        }
    }

    private void Spill()
    {
        file = createFile();
        if (memory is not null)
        {
            file.Write(memory, 0, (int)length);
        }

        ReturnMemory();
    }

    private async Task SpillAsync(CancellationToken cancellationToken)
    {
        file = createFile();
        if (memory is not null)
        {
            await file.WriteAsync(memory.AsMemory(0, (int)length), cancellationToken).ConfigureAwait(false);
        }

        ReturnMemory();
    }
}
