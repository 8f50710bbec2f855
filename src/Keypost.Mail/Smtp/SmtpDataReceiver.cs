using System.Runtime.InteropServices;

namespace Keypost.Mail.Smtp;

/// <summary>Reads message data after 354 up to the end-of-data line, undoing dot-stuffing.</summary>
internal static class SmtpDataReceiver
{
    /// <summary>RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including its CRLF, not counting a stuffed dot.</summary>
    public const int MaxLineOctets = 1000 - 2;

    /// <summary>
    /// Fills <paramref name="buffer"/> up to the end of data, or says the client went away. Bare CR and bare LF are
    /// content: data ends ONLY at CRLF "." CRLF (RFC 5321 §4.1.1.4), which defeats SMTP smuggling; the outbound side
    /// must write line ends as CRLF when it relays. A line over <see cref="MaxLineOctets"/> is refused rather than
    /// wrapped (Postfix wraps; refusing never alters a message, e.g. under a signature): the rest of the data is
    /// read and dropped, so the session stays in step and nothing of that message is kept.
    /// </summary>
    public static async Task<SmtpDataEnd> ReceiveAsync(SmtpConnection connection, MessageBuffer buffer, CancellationToken cancellationToken)
    {
        // The CRLF ending the DATA command counts as the first CRLF of CRLF "." CRLF.
        var atLineStart = true;
        long lineLength = 0;
        var tooLong = false;
        // Lines are kept in runs: consecutive lines lie together in the connection's buffer, so a run is written
        // to the message buffer once per read from the client (or at a stuffed dot), not once per line.
        var run = ReadOnlyMemory<byte>.Empty;
        while (true)
        {
            if (!connection.TryTakeDataSegment(out var segment))
            {
                // The next read moves the connection's buffer under the run: keep the run first.
                await buffer.WriteAsync(run, cancellationToken);
                run = ReadOnlyMemory<byte>.Empty;
                if (!await connection.FillDataAsync(cancellationToken))
                {
                    return SmtpDataEnd.Disconnected;
                }

                continue;
            }

            var data = segment.Data;
            if (atLineStart && segment.EndsLine && data.Length == 1 && data.Span[0] == (byte)'.')
            {
                await buffer.WriteAsync(run, cancellationToken);
                return tooLong ? SmtpDataEnd.LineTooLong : SmtpDataEnd.Complete;
            }

            // RFC 5321 §4.5.2: a leading period on a line was added by the client's dot-stuffing.
            var startsLine = atLineStart;
            atLineStart = segment.EndsLine;
            var octets = segment.Octets;
            if (startsLine && data.Length > 0 && data.Span[0] == (byte)'.')
            {
                data = data[1..];
                octets = octets[1..];
            }

            // RFC 5321 §4.5.3.1.6 counts the line without the dot added for transparency.
            lineLength = (startsLine ? 0 : lineLength) + data.Length;
            if (tooLong || lineLength > MaxLineOctets)
            {
                // Nothing of this message is kept from here on: it is refused at the end.
                tooLong = true;
                continue;
            }

            if (Follows(run, octets, out var joined))
            {
                run = joined;
            }
            else
            {
                await buffer.WriteAsync(run, cancellationToken);
                run = octets;
            }
        }
    }

    // True when next starts where run ends in the same array; joined is then both as one piece.
    private static bool Follows(ReadOnlyMemory<byte> run, ReadOnlyMemory<byte> next, out ReadOnlyMemory<byte> joined)
    {
        joined = default;
        if (run.IsEmpty
            || !MemoryMarshal.TryGetArray(run, out var first)
            || !MemoryMarshal.TryGetArray(next, out var second)
            || !ReferenceEquals(first.Array, second.Array)
            || first.Offset + first.Count != second.Offset)
        {
            return false;
        }

        joined = first.Array.AsMemory(first.Offset, first.Count + second.Count);
        return true;
    }
}
