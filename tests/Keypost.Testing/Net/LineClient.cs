using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Keypost.Testing.Net;

/// <summary>
/// A CRLF line client for SMTP and IMAP from a chosen loopback source address (another "client address"), with a
/// STARTTLS upgrade that accepts any certificate. For attack tests: it sends what a guesser would and reads what
/// comes back, nothing more.
/// </summary>
public sealed class LineClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private Stream _stream;
    private readonly byte[] _buffer = new byte[4096];
    private readonly List<byte> _pending = [];

    private LineClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    public static async Task<LineClient> ConnectAsync(IPEndPoint server, IPAddress from, CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(server, cancellationToken);
            return new LineClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>One line without its CRLF; null when the server closed the connection.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            for (var i = 0; i + 1 < _pending.Count; i++)
            {
                if (_pending[i] == '\r' && _pending[i + 1] == '\n')
                {
                    var line = Encoding.UTF8.GetString(_pending.GetRange(0, i).ToArray());
                    _pending.RemoveRange(0, i + 2);
                    return line;
                }
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer, cancellationToken);
            }
            catch (IOException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _pending.AddRange(_buffer.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>An SMTP reply, all lines joined by newlines (the last has a space after the code); null when closed.</summary>
    public async Task<string?> ReadSmtpReplyAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        while (await ReadLineAsync(cancellationToken) is { } line)
        {
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return string.Join('\n', lines);
            }
        }

        return null;
    }

    public async Task<string?> SmtpCommandAsync(string line, CancellationToken cancellationToken)
    {
        await WriteLineAsync(line, cancellationToken);
        return await ReadSmtpReplyAsync(cancellationToken);
    }

    /// <summary>Sends an IMAP command and reads up to its tagged reply; the lines read (untagged ones too), the last being the tagged one unless the server closed first.</summary>
    public async Task<List<string>> ImapCommandAsync(string tag, string command, CancellationToken cancellationToken)
    {
        await WriteLineAsync(tag + " " + command, cancellationToken);
        var lines = new List<string>();
        while (await ReadLineAsync(cancellationToken) is { } line)
        {
            lines.Add(line);
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                break;
            }
        }

        return lines;
    }

    /// <summary>The TLS handshake after the server said yes to STARTTLS (any certificate is accepted).</summary>
    public async Task StartTlsAsync(string host, CancellationToken cancellationToken)
    {
        _pending.Clear();
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, cancellationToken);
        _stream = ssl;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
