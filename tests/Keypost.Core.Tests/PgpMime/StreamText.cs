namespace Keypost.Core.Tests.PgpMime;

internal static class StreamText
{
    public static string ReadAllText(this Stream stream)
    {
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
