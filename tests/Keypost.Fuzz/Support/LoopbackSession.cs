using System.Net;
using System.Net.Sockets;

namespace Keypost.Fuzz.Support;

/// <summary>
/// Runs one server session against one client script over a loopback TCP pair: the script is sent whole, the
/// sending side is shut down, and everything the server answers until it closes is returned.
/// </summary>
internal sealed class LoopbackSession : IDisposable
{
    /// <summary>
    /// A session that has not ended by then counts as a hang. Wall-clock time, so it must stay far above what a
    /// starved session takes: under AFL++ beside builds (load 30+) 10 s and then 20 s gave smtp-session findings
    /// of short ordinary sessions (one in about 50,000 inputs), none of which reproduces (each replays in half a
    /// second). A real hang (a deadlock, a loop) never ends, so 60 s still finds it, within AFL++'s own 90 s.
    /// </summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public LoopbackSession()
    {
        _listener.Start();
    }

    public byte[] Run(byte[] script, Func<Socket, CancellationToken, Task> serve)
    {
        using var timeout = new CancellationTokenSource(Limit);
        // No Nagle on either side: each reply is a small write, and waiting for delayed ACKs would cost 40 ms each.
        using var client = new TcpClient { NoDelay = true };
        var accepting = _listener.AcceptSocketAsync(timeout.Token).AsTask();
        client.Connect((IPEndPoint)_listener.LocalEndpoint);
        var socket = accepting.GetAwaiter().GetResult();
        socket.NoDelay = true;
        var server = Task.Run(() => serve(socket, timeout.Token), timeout.Token);
        var stream = client.GetStream();

        // Written while reading, so neither side can block the other on full socket buffers.
        var writer = Task.Run(
            async () =>
            {
                try
                {
                    await stream.WriteAsync(script, timeout.Token);
                    client.Client.Shutdown(SocketShutdown.Send);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    // The server closed first (too many errors, a literal refused): what it said is still read.
                }
            },
            timeout.Token);
        using var output = new MemoryStream();
        try
        {
            stream.CopyToAsync(output, timeout.Token).GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            // Reset by the server after its last words.
        }
        catch (OperationCanceledException)
        {
            throw new FuzzFindingException($"the session did not end within {Limit.TotalSeconds} s");
        }

        if (!server.Wait(Limit))
        {
            throw new FuzzFindingException("the server session did not return after the client left");
        }

        try
        {
            writer.Wait(Limit);
        }
        catch (AggregateException)
        {
            // Cancelled with the session: nothing more to send.
        }

        // The session itself must never throw: it is the last line of defence of the process.
        server.GetAwaiter().GetResult();
        return output.ToArray();
    }

    public void Dispose() => _listener.Stop();
}
