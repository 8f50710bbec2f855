using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Keypost.Net;

/// <summary>
/// In charge of the listeners' sockets: accepting connections and buffered line I/O.
/// The socket side every Keypost protocol listener shares: bind each endpoint, accept in a loop, run one session
/// task per connection, and on stop close the listening sockets and wait for the sessions. The protocol decides
/// what a session does, including refusing it when <see cref="ActiveSessions"/> is over its limit.
/// </summary>
public sealed class TcpAcceptor : IAsyncDisposable
{
    private readonly IReadOnlyList<IPEndPoint> _endpoints;
    private readonly Func<Socket, int, CancellationToken, Task> _session;
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly List<IPEndPoint> _localEndPoints = [];
    private CancellationTokenSource? _stopping;
    private long _nextSessionId;
    private volatile bool _socketsClosed;

    /// <param name="endpoints">Where to listen.</param>
    /// <param name="session">Runs one connection: the accepted socket and the index of its endpoint.</param>
    public TcpAcceptor(IReadOnlyList<IPEndPoint> endpoints, Func<Socket, int, CancellationToken, Task> session)
    {
        _endpoints = endpoints;
        _session = session;
    }

    /// <summary>The bound addresses, in the order of the endpoints (useful with port 0).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _localEndPoints;

    /// <summary>Connections whose session has not ended, this one included.</summary>
    public int ActiveSessions => _sessions.Count;

    public void Start(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("the listener was already started");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _stopping = new CancellationTokenSource();
        try
        {
            foreach (var endpoint in _endpoints)
            {
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _sockets.Add(socket);
                socket.Bind(endpoint);
                socket.Listen(128);
                _localEndPoints.Add((IPEndPoint)socket.LocalEndPoint!);
            }
        }
        catch
        {
            CloseSockets();
            throw;
        }

        for (var i = 0; i < _sockets.Count; i++)
        {
            _acceptLoops.Add(AcceptLoopAsync(_sockets[i], i, _stopping.Token));
        }
    }

    /// <summary>
    /// First half of a graceful stop: closes the listening sockets so no new session starts, and leaves the
    /// running sessions alone. <see cref="WaitForSessionsAsync"/> then waits for them, <see cref="StopAsync"/> ends them.
    /// </summary>
    public async Task StopAcceptingAsync()
    {
        if (_stopping is null)
        {
            return;
        }

        CloseSockets();
        try
        {
            await Task.WhenAll(_acceptLoops);
        }
        catch (OperationCanceledException)
        {
            // An accept loop ended by a stop already under way.
        }
    }

    /// <summary>Waits until every session has ended by itself, or the token fires.</summary>
    public Task WaitForSessionsAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_sessions.Values).WaitAsync(cancellationToken);

    /// <summary>Stops accepting, cancels the sessions (each says goodbye its own way) and waits for them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null || _stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        CloseSockets();
        await Task.WhenAll(_acceptLoops).WaitAsync(cancellationToken);
        await Task.WhenAll(_sessions.Values).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Sessions that did not end in time are abandoned; their sockets are closed by cancellation.
        }

        _stopping?.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listenSocket, int endpointIndex, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listenSocket.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                                      || (e is SocketException && (cancellationToken.IsCancellationRequested || _socketsClosed)))
            {
                return;
            }
            catch (SocketException)
            {
                // One failed accept (the client reset first) must not stop the listener.
                continue;
            }

            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextSessionId);
            var task = Task.Run(() => _session(client, endpointIndex, cancellationToken), CancellationToken.None);
            _sessions[id] = task;
            _ = task.ContinueWith(_ => _sessions.TryRemove(id, out Task? _), TaskScheduler.Default);
        }
    }

    private void CloseSockets()
    {
        _socketsClosed = true;
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
