namespace Keypost.Mail.Smtp;

/// <summary>
/// Holds one message's data: in memory while small, then in a temporary file deleted on close, so 25 MiB
/// messages on many sessions do not fill the heap.
/// </summary>
internal sealed class MessageBuffer(long limit) : IAsyncDisposable
{
    private const int MemoryThreshold = 1024 * 1024;
    private Stream _stream = new MemoryStream();

    public long Length { get; private set; }

    /// <summary>True once more than the limit was offered; nothing further is kept.</summary>
    public bool Overflowed { get; private set; }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Overflowed)
        {
            return;
        }

        if (Length + data.Length > limit)
        {
            Overflowed = true;
            await _stream.DisposeAsync();
            _stream = Stream.Null;
            return;
        }

        if (_stream is MemoryStream memory && Length + data.Length > MemoryThreshold)
        {
            var file = new FileStream(
                Path.Combine(Path.GetTempPath(), "keypost-smtp-" + Guid.NewGuid().ToString("N")),
                FileMode.CreateNew,
                FileAccess.ReadWrite,
                FileShare.None,
                81920,
                FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            memory.Position = 0;
            await memory.CopyToAsync(file, cancellationToken);
            await memory.DisposeAsync();
            _stream = file;
        }

        await _stream.WriteAsync(data, cancellationToken);
        Length += data.Length;
    }

    /// <summary>The message from its first byte; the buffer stays the owner.</summary>
    public Stream OpenRead()
    {
        _stream.Position = 0;
        return _stream;
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
