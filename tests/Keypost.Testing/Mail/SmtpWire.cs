using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Keypost.Testing.Mail;

/// <summary>
/// A plain-text SMTP client on a raw socket, to see the server's exact replies (a library client hides or
/// reinterprets them). Every read is bounded by <see cref="ReplyTimeout"/>.
/// </summary>
public sealed class SmtpWire : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _client;
    private readonly StreamReader _reader;
    private readonly Stream _stream;

    private SmtpWire(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
    }

    public string Greeting { get; private set; } = "";

    /// <summary>Connects and reads the greeting; throws <see cref="IOException"/> unless it is a 220.</summary>
    public static async Task<SmtpWire> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var client = new TcpClient(endPoint.AddressFamily) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReplyTimeout);
            await client.ConnectAsync(endPoint, timeout.Token);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        var wire = new SmtpWire(client);
        try
        {
            wire.Greeting = await wire.ReadReplyAsync(cancellationToken);
            if (!wire.Greeting.StartsWith("220 ", StringComparison.Ordinal))
            {
                throw new IOException("no 220 greeting: " + wire.Greeting);
            }
        }
        catch
        {
            await wire.DisposeAsync();
            throw;
        }

        return wire;
    }

    /// <summary>Sends one command line and returns the last line of the reply (code, space, text).</summary>
    public async Task<string> CommandAsync(string line, CancellationToken cancellationToken)
    {
        await WriteAsync(line + "\r\n", cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    /// <summary>DATA, the message (dot-stuffed, RFC 5321 §4.5.2) and its terminator; returns the final reply, or the refusal of DATA.</summary>
    public async Task<string> DataAsync(string message, CancellationToken cancellationToken)
    {
        var go = await CommandAsync("DATA", cancellationToken);
        if (!go.StartsWith("354", StringComparison.Ordinal))
        {
            return go;
        }

        var lines = message.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        var body = string.Concat(lines.Select(l => (l.StartsWith('.') ? "." + l : l) + "\r\n"));
        await WriteAsync(body + ".\r\n", cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    /// <summary>
    /// DATA with <paramref name="data"/> byte for byte (line endings as they are, only dot-stuffed, RFC 5321
    /// §4.5.2); returns the final reply, or the refusal of DATA.
    /// </summary>
    public async Task<string> DataExactAsync(byte[] data, CancellationToken cancellationToken)
    {
        var go = await CommandAsync("DATA", cancellationToken);
        if (!go.StartsWith("354", StringComparison.Ordinal))
        {
            return go;
        }

        var text = Encoding.Latin1.GetString(data);
        var stuffed = (text.StartsWith('.') ? "." : "") + text.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReplyTimeout);
        await _stream.WriteAsync(Encoding.Latin1.GetBytes(stuffed + (stuffed.EndsWith("\r\n", StringComparison.Ordinal) ? "" : "\r\n") + ".\r\n"), timeout.Token);
        await _stream.FlushAsync(timeout.Token);
        return await ReadReplyAsync(cancellationToken);
    }

    /// <summary>
    /// DATA, then <paramref name="stuffed"/> as it is: already dot-stuffed and ending in CRLF "." CRLF, so a large
    /// message is sent without a copy (a test measuring the server's allocations must not drown them in its own).
    /// Waits up to <paramref name="timeout"/> for the sending and for the final reply; returns it, or the refusal of DATA.
    /// </summary>
    public async Task<string> DataStuffedAsync(ReadOnlyMemory<byte> stuffed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var go = await CommandAsync("DATA", cancellationToken);
        if (!go.StartsWith("354", StringComparison.Ordinal))
        {
            return go;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        await _stream.WriteAsync(stuffed, limit.Token);
        await _stream.FlushAsync(limit.Token);
        return await ReadReplyAsync(timeout, cancellationToken);
    }

    /// <summary>MAIL, RCPT and DATA for one recipient; returns the first non-success reply or the final one.</summary>
    public async Task<string> SendAsync(string from, string to, string message, CancellationToken cancellationToken)
    {
        var mail = await CommandAsync($"MAIL FROM:<{from}>", cancellationToken);
        if (!mail.StartsWith('2'))
        {
            return mail;
        }

        var rcpt = await CommandAsync($"RCPT TO:<{to}>", cancellationToken);
        if (!rcpt.StartsWith('2'))
        {
            await CommandAsync("RSET", cancellationToken);
            return rcpt;
        }

        return await DataAsync(message, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    private async Task WriteAsync(string text, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReplyTimeout);
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text), timeout.Token);
        await _stream.FlushAsync(timeout.Token);
    }

    /// <summary>Reads one reply (RFC 5321 §4.2.1: continuation lines have a hyphen after the code) and returns its last line.</summary>
    public Task<string> ReadReplyAsync(CancellationToken cancellationToken) => ReadReplyAsync(ReplyTimeout, cancellationToken);

    private async Task<string> ReadReplyAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        for (var lines = 0; lines < 100; lines++)
        {
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("connection closed by the server");
            if (line.Length < 4 || line[3] != '-')
            {
                return line;
            }
        }

        throw new IOException("reply too long");
    }
}
