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

    /// <summary>
    /// Takes the next line of message data from what is already buffered, or the first buffer-full of a longer
    /// line; false when more input is needed first (<see cref="FillDataAsync"/>). Synchronous: called once per line
    /// (about 340,000 times for a 25 MiB base64 message), where an async call would allocate each time.
    /// </summary>
    public bool TryTakeDataSegment(out SmtpDataSegment segment)
    {
        var pending = Input.AsSpan(Start, End - Start);
        var index = pending.IndexOf(Crlf);
        if (index >= 0)
        {
            segment = new SmtpDataSegment(Input.AsMemory(Start, index + 2), EndsLine: true);
            Start += index + 2;
            return true;
        }

        if (pending.Length == Input.Length)
        {
            // A trailing CR may be the first half of a CRLF: keep it for the next read.
            var take = pending[^1] == (byte)'\r' ? pending.Length - 1 : pending.Length;
            segment = new SmtpDataSegment(Input.AsMemory(Start, take), EndsLine: false);
            Start += take;
            return true;
        }

        segment = default;
        return false;
    }

    /// <summary>
    /// Reads more message data after what is buffered (segments taken before are invalid afterwards); false when
    /// the client has closed the connection.
    /// </summary>
    public Task<bool> FillDataAsync(CancellationToken cancellationToken) => FillAsync(flushFirst: true, cancellationToken);
}
