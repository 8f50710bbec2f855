using Keypost.Core.OpenPgp;

namespace Keypost.Core.PgpMime;

/// <summary>Reads a stream to its end into memory, refusing more than a limit without buffering past it.</summary>
internal static class CappedRead
{
    public static byte[] ReadAll(Stream stream, long maxBytes, string what)
    {
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                // Stops a compression bomb: decompression ends here, long before the declared size.
                throw new OpenPgpException(OpenPgpError.TooLarge, $"the {what} is larger than the limit of {maxBytes} bytes");
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}
