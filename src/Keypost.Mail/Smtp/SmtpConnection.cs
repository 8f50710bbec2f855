using System.Net;
using System.Net.Sockets;
using Keypost.Net;

namespace Keypost.Mail.Smtp;

/// <summary>
/// The bytes of one SMTP session: a bounded input buffer split at CRLF only, and replies held back until the
/// client's pipelined commands are used up (RFC 2920 §3.2).
/// </summary>
internal sealed class SmtpConnection : BufferedConnection
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();


    public SmtpConnection(Socket socket)
        : base(socket)
    {
        RemoteAddress = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
    }

    public IPAddress RemoteAddress { get; }

    /// <summary>The longest line <see cref="ReadLineAsync"/> can buffer.</summary>
    public static int MaxLineCapacity => BufferSize;

    public void Write(SmtpReply reply) => Output.Write(reply.ToBytes());

    /// <summary>
    /// Reads one line ended by CRLF (RFC 5321 §2.3.8); a bare CR or LF stays inside the line. At most
    /// <paramref name="maxOctets"/> octets including CRLF are buffered.
    /// </summary>
    public async Task<SmtpLine> ReadLineAsync(int maxOctets, CancellationToken cancellationToken)
    {
        var scanFrom = 0;
        while (true)
        {
            var pending = Input.AsSpan(Start, End - Start);
            var index = pending[scanFrom..].IndexOf(Crlf);
            if (index >= 0)
            {
                index += scanFrom;
                var bytes = pending[..index].ToArray();
                Start += index + 2;
                return new SmtpLine(index + 2 > maxOctets ? SmtpLineStatus.TooLong : SmtpLineStatus.Line, bytes);
            }

            if (pending.Length >= maxOctets)
            {
                return new SmtpLine(SmtpLineStatus.Overflow, []);
            }

            scanFrom = Math.Max(0, pending.Length - 1);
            if (!await FillAsync(flushFirst: true, cancellationToken))
            {
                return new SmtpLine(SmtpLineStatus.EndOfStream, []);
            }
        }
    }

    /// <summary>Reads the next line of message data, or the first buffer-full of a longer line.</summary>
    /// <remarks>
    /// A ValueTask, and the line handed out with its CRLF: called once per line (about 340,000 times for a 25 MiB
    /// base64 message), so a Task per call and a second write per line were most of what DATA allocated and did.
    /// </remarks>
    public async ValueTask<SmtpDataSegment> ReadDataSegmentAsync(CancellationToken cancellationToken)
    {
        var scanFrom = 0;
        while (true)
        {
            var pending = Input.AsSpan(Start, End - Start);
            var index = pending[scanFrom..].IndexOf(Crlf);
            if (index >= 0)
            {
                index += scanFrom;
                var line = Input.AsMemory(Start, index + 2);
                Start += index + 2;
                return new SmtpDataSegment(line, EndsLine: true, EndOfStream: false);
            }

            if (pending.Length == Input.Length)
            {
                // A trailing CR may be the first half of a CRLF: keep it for the next read.
                var take = pending[^1] == (byte)'\r' ? pending.Length - 1 : pending.Length;
                var part = Input.AsMemory(Start, take);
                Start += take;
                return new SmtpDataSegment(part, EndsLine: false, EndOfStream: false);
            }

            scanFrom = Math.Max(0, pending.Length - 1);
            if (!await FillAsync(flushFirst: true, cancellationToken))
            {
                return new SmtpDataSegment(ReadOnlyMemory<byte>.Empty, EndsLine: false, EndOfStream: true);
            }
        }
    }
}
