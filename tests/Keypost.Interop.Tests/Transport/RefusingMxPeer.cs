using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// A remote domain's mail exchanger, minimal and plain-text (no STARTTLS offered): answers 451 to every RCPT until
/// <see cref="Accepting"/> is set, then takes messages and keeps them.
/// </summary>
public sealed class RefusingMxPeer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _refusals;
    private volatile bool _accepting;

    public RefusingMxPeer(IPEndPoint endPoint)
    {
        _listener = new TcpListener(endPoint);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public bool Accepting
    {
        get => _accepting;
        set => _accepting = value;
    }

    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>Message data as received (dot-stuffing undone).</summary>
    public ConcurrentQueue<string> Messages { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await ConverseAsync(client.GetStream());
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The client went away, or we are stopping.
            }
        }
    }

    private async Task ConverseAsync(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, false, 4096, leaveOpen: true);
        var recipients = 0;
        await WriteAsync(stream, "220 mx.jedi.test ESMTP refusing peer");
        for (var commands = 0; commands < 1000; commands++)
        {
            var line = await reader.ReadLineAsync(_stop.Token);
            if (line is null)
            {
                return;
            }

            switch (line.Split(' ', 2)[0].ToUpperInvariant())
            {
                case "EHLO":
                    await WriteAsync(stream, "250-mx.jedi.test\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 10000000");
                    break;
                case "MAIL":
                    recipients = 0;
                    await WriteAsync(stream, "250 2.1.0 Ok");
                    break;
                case "RCPT" when !Accepting:
                    Interlocked.Increment(ref _refusals);
                    // RFC 5321 §4.2.2: 451, a temporary local problem; the sender must try again later.
                    await WriteAsync(stream, "451 4.3.0 Try again later");
                    break;
                case "RCPT":
                    recipients++;
                    await WriteAsync(stream, "250 2.1.5 Ok");
                    break;
                case "DATA" when recipients == 0:
                    await WriteAsync(stream, "554 5.5.1 No valid recipients");
                    break;
                case "DATA":
                    await WriteAsync(stream, "354 End data with <CR><LF>.<CR><LF>");
                    Messages.Enqueue(await ReadDataAsync(reader));
                    await WriteAsync(stream, "250 2.0.0 Ok: queued");
                    break;
                case "QUIT":
                    await WriteAsync(stream, "221 2.0.0 Bye");
                    return;
                default:
                    await WriteAsync(stream, "250 2.0.0 Ok");
                    break;
            }
        }
    }

    private async Task<string> ReadDataAsync(StreamReader reader)
    {
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(_stop.Token) is { } line && line != ".")
        {
            // RFC 5321 §4.5.2: undo dot-stuffing.
            data.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
        }

        return data.ToString();
    }

    private async Task WriteAsync(NetworkStream stream, string reply)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"), _stop.Token);
    }
}
