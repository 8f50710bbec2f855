namespace Keypost.Mail.Smtp;

/// <summary>Reads message data after 354 up to the end-of-data line, undoing dot-stuffing.</summary>
internal static class SmtpDataReceiver
{
    private static readonly ReadOnlyMemory<byte> Crlf = "\r\n"u8.ToArray();

    /// <summary>
    /// Fills <paramref name="buffer"/> and returns true at end of data; false when the client went away.
    /// Bare CR and bare LF are content: data ends ONLY at CRLF "." CRLF (RFC 5321 §4.1.1.4), which defeats
    /// SMTP smuggling; the outbound side must write line ends as CRLF when it relays.
    /// </summary>
    public static async Task<bool> ReceiveAsync(SmtpConnection connection, MessageBuffer buffer, CancellationToken cancellationToken)
    {
        // The CRLF ending the DATA command counts as the first CRLF of CRLF "." CRLF.
        var atLineStart = true;
        while (true)
        {
            var segment = await connection.ReadDataSegmentAsync(cancellationToken);
            if (segment.EndOfStream)
            {
                return false;
            }

            var data = segment.Data;
            if (atLineStart && segment.EndsLine && data.Length == 1 && data.Span[0] == (byte)'.')
            {
                return true;
            }

            // RFC 5321 §4.5.2: a leading period on a line was added by the client's dot-stuffing.
            if (atLineStart && data.Length > 0 && data.Span[0] == (byte)'.')
            {
                data = data[1..];
            }

            await buffer.WriteAsync(data, cancellationToken);
            if (segment.EndsLine)
            {
                await buffer.WriteAsync(Crlf, cancellationToken);
            }

            atLineStart = segment.EndsLine;
        }
    }
}
