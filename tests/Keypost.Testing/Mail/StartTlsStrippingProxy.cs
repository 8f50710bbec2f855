using System.Net;
using System.Net.Sockets;

namespace Keypost.Testing.Mail;

/// <summary>
/// An attacker on the path of an SMTP connection, as some middleboxes do it: forwards both ways, but overwrites
/// "STARTTLS" in the server's replies (so the EHLO no longer offers it) and would pass everything in clear.
/// </summary>
public sealed class StartTlsStrippingProxy : IAsyncDisposable
{
    private static readonly byte[] Needle = "STARTTLS"u8.ToArray();
    private static readonly byte[] Replacement = "XXXXXXXA"u8.ToArray();
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint target;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private int connections;

    public StartTlsStrippingProxy(IPEndPoint target)
    {
        this.target = target;
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref connections);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            Interlocked.Increment(ref connections);
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(target, stop.Token);
                var up = client.GetStream().CopyToAsync(server.GetStream(), stop.Token);
                var down = CopyStrippingAsync(server.GetStream(), client.GetStream());
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Either side went away.
            }
        }
    }

    private async Task CopyStrippingAsync(Stream from, Stream to)
    {
        var buffer = new byte[8192];
        int read;
        while ((read = await from.ReadAsync(buffer, stop.Token)) > 0)
        {
            // SMTP replies are short lines: a capability never straddles two reads from a loopback peer that writes
            // each reply at once.
            var span = buffer.AsSpan(0, read);
            int at;
            while ((at = span.IndexOf(Needle)) >= 0)
            {
                Replacement.CopyTo(span[at..]);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), stop.Token);
        }
    }
}
