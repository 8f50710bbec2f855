using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Keypost.Mail.Tests.Smtp;

/// <summary>A raw SMTP client over a real socket: sends exact bytes and reads whole (multi-line) replies.</summary>
public sealed class SmtpTestClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly List<byte> _pending = [];

    private SmtpTestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>
    /// Ends our sending (FIN), reads to the end, and returns the socket's pending error: 0 when the server closed
    /// gracefully, ECONNRESET/EPIPE when it reset the connection (closing with our input unread sends RST).
    /// </summary>
    public async Task<int> FinishAndGetSocketErrorAsync()
    {
        _tcp.Client.Shutdown(SocketShutdown.Send);
        try
        {
            while (await TryReadReplyAsync() is not null)
            {
            }
        }
        catch (IOException e) when (e.InnerException is SocketException reset)
        {
            return reset.ErrorCode;
        }

        return (int)_tcp.Client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
    }

    public SslProtocols? NegotiatedProtocol => (_stream as SslStream)?.SslProtocol;

    /// <param name="from">The local address to connect from (another loopback address plays another client).</param>
    public static async Task<SmtpTestClient> ConnectAsync(IPEndPoint endPoint, bool implicitTls = false, IPAddress? from = null)
    {
        var tcp = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(from, 0));
        await tcp.ConnectAsync(endPoint);
        var client = new SmtpTestClient(tcp);
        if (implicitTls)
        {
            await client.StartTlsAsync();
        }

        return client;
    }

    public async Task StartTlsAsync(SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13)
    {
        var ssl = new SslStream(_stream, false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "mx.jedi.test",
            EnabledSslProtocols = protocols,
        });
        _stream = ssl;
        _pending.Clear();
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await _stream.WriteAsync(bytes, cts.Token);
        await _stream.FlushAsync(cts.Token);
    }

    /// <summary>Sends one command line and returns the whole reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>Reads one reply; all its lines joined by \n. Null when the server closed the connection.</summary>
    public async Task<string?> TryReadReplyAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync();
            if (line is null)
            {
                return lines.Count == 0 ? null : string.Join("\n", lines);
            }

            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return string.Join("\n", lines);
            }
        }
    }

    public async Task<string> ReadReplyAsync() =>
        await TryReadReplyAsync() ?? throw new IOException("the server closed the connection");

    /// <summary>True when the server has closed (reads end of stream or a reset).</summary>
    public async Task<bool> IsClosedAsync()
    {
        try
        {
            return await TryReadReplyAsync() is null;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<string?> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[4096];
        while (true)
        {
            var index = _pending.IndexOf((byte)'\n');
            if (index >= 0)
            {
                var line = Encoding.UTF8.GetString(_pending.Take(index).ToArray()).TrimEnd('\r');
                _pending.RemoveRange(0, index + 1);
                return line;
            }

            var read = await _stream.ReadAsync(buffer, cts.Token);
            if (read == 0)
            {
                return null;
            }

            _pending.AddRange(buffer.Take(read));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
