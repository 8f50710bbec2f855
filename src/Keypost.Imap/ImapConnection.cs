using System.Net.Sockets;
using Keypost.Net;
using System.Text;

namespace Keypost.Imap;

/// <summary>The bytes of one IMAP session: a bounded input buffer split at CRLF, exact literal reads, buffered output.</summary>
internal sealed class ImapConnection : BufferedConnection
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    private bool _flushBeforeRead = true;

    public ImapConnection(Socket socket)
        : base(socket)
    {
        RemoteAddress = (socket.RemoteEndPoint as System.Net.IPEndPoint)?.Address ?? System.Net.IPAddress.None;
    }

    /// <summary>The client's address, for the log.</summary>
    public System.Net.IPAddress RemoteAddress { get; }

    public void Write(string ascii) => Output.Write(Encoding.UTF8.GetBytes(ascii));

    public void WriteLine(string line)
    {
        Write(line);
        Output.Write(Crlf);
    }

    /// <summary>
    /// One line without its CRLF, or null at end of stream. Throws <see cref="ImapLineTooLongException"/> when no CRLF
    /// comes within <paramref name="maxOctets"/>: the rest is never buffered.
    /// </summary>
    public async Task<byte[]?> ReadLineAsync(int maxOctets, CancellationToken cancellationToken) =>
        await ReadLineAsync(maxOctets, flush: true, cancellationToken);

    /// <summary>
    /// As above; with <paramref name="flush"/> false the read never touches the output buffer, so another task may
    /// write and flush responses meanwhile (IDLE pushes updates while a read for DONE is pending).
    /// </summary>
    public async Task<byte[]?> ReadLineAsync(int maxOctets, bool flush, CancellationToken cancellationToken)
    {
        _flushBeforeRead = flush;
        var scanFrom = 0;
        while (true)
        {
            var pending = Input.AsSpan(Start, End - Start);
            var index = pending[scanFrom..].IndexOf(Crlf);
            if (index >= 0)
            {
                index += scanFrom;
                if (index > maxOctets)
                {
                    throw new ImapLineTooLongException();
                }

                var bytes = pending[..index].ToArray();
                Start += index + 2;
                return bytes;
            }

            if (pending.Length > maxOctets)
            {
                throw new ImapLineTooLongException();
            }

            if (pending.Length == Input.Length)
            {
                // A line longer than the buffer: accumulate it elsewhere, still bounded by maxOctets.
                return await ReadLongLineAsync(maxOctets, cancellationToken);
            }

            scanFrom = Math.Max(0, pending.Length - 1);
            if (!await FillAsync(_flushBeforeRead, cancellationToken))
            {
                return null;
            }
        }
    }

    private async Task<byte[]?> ReadLongLineAsync(int maxOctets, CancellationToken cancellationToken)
    {
        using var line = new MemoryStream();
        while (true)
        {
            var pending = Input.AsSpan(Start, End - Start);
            var index = pending.IndexOf(Crlf);
            if (index >= 0)
            {
                line.Write(pending[..index]);
                Start += index + 2;
                if (line.Length > maxOctets)
                {
                    throw new ImapLineTooLongException();
                }

                return line.ToArray();
            }

            // Keep a trailing CR: it may be half of the CRLF.
            var take = pending.Length > 0 && pending[^1] == (byte)'\r' ? pending.Length - 1 : pending.Length;
            line.Write(pending[..take]);
            Start += take;
            if (line.Length > maxOctets)
            {
                throw new ImapLineTooLongException();
            }

            if (!await FillAsync(_flushBeforeRead, cancellationToken))
            {
                return null;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> octets (a literal), or null at end of stream.</summary>
    public async Task<byte[]?> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        _flushBeforeRead = true;
        var result = new byte[count];
        var have = 0;
        while (have < count)
        {
            if (End == Start && !await FillAsync(_flushBeforeRead, cancellationToken))
            {
                return null;
            }

            var n = Math.Min(count - have, End - Start);
            Buffer.BlockCopy(Input, Start, result, have, n);
            Start += n;
            have += n;
        }

        return result;
    }

}
