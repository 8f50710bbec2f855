using System.Buffers;

namespace Keypost.Mail.Smtp;

/// <summary>
/// Holds one message's data: in memory while small, then in a temporary file deleted on close, so 25 MiB
/// messages on many sessions do not fill the heap.
/// </summary>
/// <remarks>
/// The memory part grows in arrays rented from the shared pool and given back, not in a MemoryStream whose doubling
/// leaves about 2 MiB of garbage behind every message that spills: a large message then costs the heap nothing in
/// proportion to its size (issue #9, item 3). It grows eightfold (16 KiB, 128 KiB, 1 MiB), so the pool keeps
/// about 1.1 MiB for the first large message rather than the 2 MiB of a doubling chain.
/// </remarks>
internal sealed class MessageBuffer(long limit) : IAsyncDisposable
{
    private const int MemoryThreshold = 1024 * 1024;
    private const int InitialMemory = 16 * 1024;

    private byte[]? _memory;
    private FileStream? _file;
    private Stream? _reader;

    public long Length { get; private set; }

    /// <summary>True once more than the limit was offered; nothing further is kept.</summary>
    public bool Overflowed { get; private set; }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Overflowed || data.IsEmpty)
        {
            return;
        }

        if (Length + data.Length > limit)
        {
            Overflowed = true;
            ReturnMemory();
            if (_file is not null)
            {
                await _file.DisposeAsync();
                _file = null;
            }

            return;
        }

        if (_file is null && Length + data.Length > MemoryThreshold)
        {
            _file = new FileStream(
                Path.Combine(Path.GetTempPath(), "keypost-smtp-" + Guid.NewGuid().ToString("N")),
                FileMode.CreateNew,
                FileAccess.ReadWrite,
                FileShare.None,
                81920,
                FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            if (_memory is not null)
            {
                await _file.WriteAsync(_memory.AsMemory(0, (int)Length), cancellationToken);
                ReturnMemory();
            }
        }

        if (_file is not null)
        {
            await _file.WriteAsync(data, cancellationToken);
        }
        else
        {
            var needed = (int)Length + data.Length;
            if (_memory is null || _memory.Length < needed)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(InitialMemory, (_memory?.Length ?? 0) * 8)));
                _memory?.AsSpan(0, (int)Length).CopyTo(grown);
                ReturnMemory();
                _memory = grown;
            }

            data.Span.CopyTo(_memory.AsSpan((int)Length));
        }

        Length += data.Length;
    }

    /// <summary>The message from its first byte; the buffer stays the owner (the stream is valid until disposal).</summary>
    public Stream OpenRead()
    {
        if (_file is not null)
        {
            _file.Position = 0;
            return _file;
        }

        if (Overflowed)
        {
            return Stream.Null;
        }

        _reader ??= new MemoryStream(_memory ?? [], 0, (int)Length, writable: false);
        _reader.Position = 0;
        return _reader;
    }

    public async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.DisposeAsync();
        }

        if (_file is not null)
        {
            await _file.DisposeAsync();
        }

        ReturnMemory();
    }

    private void ReturnMemory()
    {
        if (_memory is not null)
        {
            // Mail is private: the next renter of this array must not find this message in it.
            _memory.AsSpan(0, (int)Math.Min(Length, _memory.Length)).Clear();
            ArrayPool<byte>.Shared.Return(_memory);
            _memory = null;
        }
    }
}
