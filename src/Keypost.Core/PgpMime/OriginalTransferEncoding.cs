namespace Keypost.Core.PgpMime;

/// <summary>
/// RFC 2046 §5.2.1: a message/rfc822 part may only be labelled 7bit, 8bit or binary, and the label must be true of
/// its content (RFC 2045 §2.7-2.9). Found by one streaming pass over the original.
/// </summary>
internal static class OriginalTransferEncoding
{
    private const int MaxLine = 998;

    public static async Task<string> DetectAsync(Stream original, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        var eightBit = false;
        var line = 0;
        byte previous = 0;
        int read;
        while ((read = await original.ReadAsync(buffer, cancellationToken)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (b == 0 || (b == (byte)'\n' && previous != (byte)'\r') || (previous == (byte)'\r' && b != (byte)'\n'))
                {
                    // NUL, bare LF or bare CR: only "binary" may carry them.
                    return "binary";
                }

                if (b == (byte)'\n')
                {
                    line = 0;
                }
                else if (b != (byte)'\r' && ++line > MaxLine)
                {
                    return "binary";
                }

                eightBit |= b >= 0x80;
                previous = b;
            }
        }

        return previous == (byte)'\r' ? "binary" : eightBit ? "8bit" : "7bit";
    }
}
