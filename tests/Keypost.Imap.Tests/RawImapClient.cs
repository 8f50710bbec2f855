using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Keypost.Imap.Tests;

/// <summary>A byte-level IMAP client for sending what real clients never would.</summary>
public sealed class RawImapClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly List<byte> _pending = [];

    private RawImapClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <param name="from">A loopback source address to connect from (another "client"); null: the system's choice.</param>
    public static async Task<RawImapClient> ConnectAsync(IPEndPoint endPoint, bool tls, IPAddress? from = null)
    {
        var tcp = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(from, 0));
        await tcp.ConnectAsync(endPoint);
        var client = new RawImapClient(tcp);
        if (tls)
        {
            await client.StartTlsAsync();
        }

        return client;
    }

    public async Task StartTlsAsync()
    {
        _pending.Clear();
        var ssl = new SslStream(_stream, false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("imap.jedi.test");
        _stream = ssl;
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>One line without CRLF, or null when the server closed the connection.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var index = IndexOfCrlf();
            if (index >= 0)
            {
                var line = Encoding.UTF8.GetString(_pending.GetRange(0, index).ToArray());
                _pending.RemoveRange(0, index + 2);
                return line;
            }

            var buffer = new byte[8192];
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    /// <summary>Reads lines up to and including the one starting with <paramref name="tag"/>; returns them all.</summary>
    public async Task<List<string>> ReadUntilTaggedAsync(string tag)
    {
        var lines = new List<string>();
        while (await ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                break;
            }
        }

        return lines;
    }

    public async Task<List<string>> CommandAsync(string tag, string command)
    {
        await SendAsync(tag + " " + command + "\r\n");
        return await ReadUntilTaggedAsync(tag);
    }

    public async Task LoginAsync()
    {
        var lines = await CommandAsync("L", "LOGIN " + ImapTestServer.Luke + " " + ImapTestServer.LukePassword);
        Assert.StartsWith("L OK", lines[^1]);
    }

    private int IndexOfCrlf()
    {
        for (var i = 0; i + 1 < _pending.Count; i++)
        {
            if (_pending[i] == '\r' && _pending[i + 1] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
