using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// A man in the middle of one SMTP hop: forwards bytes both ways, records them, and removes STARTTLS from the
/// server's EHLO answer (RFC 3207 §6 names this downgrade). The sender then falls back to plaintext, so what
/// is recorded is what anyone on the path could read.
/// </summary>
public sealed class SmtpRecordingRelay : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly IPEndPoint target;
    private readonly CancellationTokenSource stopping = new();
    private readonly MemoryStream fromClient = new();
    private readonly MemoryStream fromServer = new();
    private readonly Lock gate = new();
    private readonly List<Task> connections = [];
    private Task accepting = Task.CompletedTask;

    private SmtpRecordingRelay(IPEndPoint listen, IPEndPoint target)
    {
        listener = new TcpListener(listen);
        this.target = target;
    }

    public static SmtpRecordingRelay Start(IPEndPoint listen, IPEndPoint target)
    {
        var relay = new SmtpRecordingRelay(listen, target);
        relay.listener.Start();
        relay.accepting = relay.AcceptAsync(relay.stopping.Token);
        return relay;
    }

    /// <summary>Every byte the sending MTA wrote, all connections in order.</summary>
    public byte[] ClientBytes
    {
        get
        {
            lock (gate)
            {
                return fromClient.ToArray();
            }
        }
    }

    /// <summary>Every byte the receiving MTA answered, as the relay received it (before stripping).</summary>
    public byte[] ServerBytes
    {
        get
        {
            lock (gate)
            {
                return fromServer.ToArray();
            }
        }
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (gate)
            {
                connections.Add(RelayAsync(client, cancellationToken));
            }
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(target, cancellationToken);
                var up = CopyAsync(client.GetStream(), server.GetStream(), fromClient, cancellationToken);
                var down = CopyStrippingAsync(server.GetStream(), client.GetStream(), cancellationToken);
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // One side hung up: the hop is over.
            }
        }
    }

    private async Task CopyAsync(Stream from, Stream to, MemoryStream record, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            lock (gate)
            {
                record.Write(buffer, 0, read);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    // Server replies are CRLF-terminated lines (RFC 5321 §4.2), so the relay can edit them one line at a time.
    private async Task CopyStrippingAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var line = new List<byte>();
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            lock (gate)
            {
                fromServer.Write(buffer, 0, read);
            }

            for (var i = 0; i < read; i++)
            {
                line.Add(buffer[i]);
                if (buffer[i] == '\n')
                {
                    await to.WriteAsync(Strip(line.ToArray()), cancellationToken);
                    line.Clear();
                }
            }
        }
    }

    // "250-STARTTLS" becomes "250-XNOTLS": an extension keyword the client does not know, so it never upgrades.
    private static byte[] Strip(byte[] line)
    {
        var text = Encoding.Latin1.GetString(line);
        return text.StartsWith("250", StringComparison.Ordinal) && text.Length > 4 && text[4..].TrimEnd().Equals("STARTTLS", StringComparison.OrdinalIgnoreCase)
            ? Encoding.Latin1.GetBytes(text[..4] + "XNOTLS\r\n")
            : line;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        Task[] pending;
        lock (gate)
        {
            pending = [.. connections];
        }

        await Task.WhenAll(pending);
        stopping.Dispose();
    }
}
