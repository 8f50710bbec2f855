using Keypost.Mail.Queue;
using Keypost.Testing;

namespace Keypost.Mail.Tests.Queue;

public sealed class SpillingWriteStreamTests
{
    [Theory]
    [InlineData(1024 * 1024, 900_000, false)] // grows through several pooled buffers, stays in memory
    [InlineData(64 * 1024, 200_000, true)] // spills to the file part way, with what was buffered
    [InlineData(0, 10, true)] // no inline messages: the first octet goes to the file
    public async Task Every_octet_arrives_in_order_in_memory_or_in_the_file(int inlineLimit, int size, bool spills)
    {
        using var directory = new TempDirectory();
        var path = directory.Combine("message.eml");
        var expected = new byte[size];
        new Random(size).NextBytes(expected);
        byte[]? inline;
        await using (var stream = new SpillingWriteStream(inlineLimit, () => new FileStream(path, FileMode.CreateNew, FileAccess.Write)))
        {
            // Odd-sized writes, sync and async, so the buffer's growth and the spill fall inside a write.
            for (var offset = 0; offset < size; offset += 7777)
            {
                var chunk = expected.AsMemory(offset, Math.Min(7777, size - offset));
                if (offset % 2 == 0)
                {
                    await stream.WriteAsync(chunk);
                }
                else
                {
                    stream.Write(chunk.Span);
                }
            }

            Assert.Equal(size, stream.Length);
            Assert.Equal(spills, stream.File is not null);
            inline = stream.InlineBytes();
        }

        Assert.Equal(expected, spills ? await File.ReadAllBytesAsync(path) : inline);
        Assert.Equal(spills, inline is null);
    }
}
