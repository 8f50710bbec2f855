namespace Keypost.Imap.Tests;

internal static class StreamExtensions
{
    public static byte[] ReadAllBytesForTest(this Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
