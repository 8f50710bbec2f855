using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Keypost.Mail.Maildir;

namespace Keypost.Mail.Imap;

/// <summary>
/// The IMAP4rev2 server (RFC 9051, with the IMAP4rev1 behaviour clients rely on) over the accounts' Maildirs in
/// <see cref="MaildirStore"/>. Start with <see cref="StartAsync"/>, stop with <see cref="StopAsync"/> or by disposing.
/// </summary>
public sealed class ImapListener : IAsyncDisposable
{
    private readonly ImapSessionContext _context;
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly List<IPEndPoint> _localEndPoints = [];
    private CancellationTokenSource? _stopping;
    private long _nextSessionId;

    public ImapListener(ImapListenerOptions options, IMailAccounts accounts, MaildirStore store)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(store);
        Validate(options);
        _context = new ImapSessionContext(options, accounts, store, new MailboxRegistry(), new AccountSessionLimiter(options.MaxSessionsPerAccount));
    }

    /// <summary>The bound addresses, in the order of the configured endpoints (useful with port 0).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _localEndPoints;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("the listener was already started");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _stopping = new CancellationTokenSource();
        try
        {
            foreach (var endpoint in _context.Options.Endpoints)
            {
                var socket = new Socket(endpoint.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _sockets.Add(socket);
                socket.Bind(endpoint.EndPoint);
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
            _acceptLoops.Add(AcceptLoopAsync(_sockets[i], _context.Options.Endpoints[i], _stopping.Token));
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, tells open sessions BYE and waits for them (as long as the token allows).</summary>
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

    private async Task AcceptLoopAsync(Socket listenSocket, ImapEndpoint endpoint, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listenSocket.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                                      || (e is SocketException && cancellationToken.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException)
            {
                // One failed accept (the client reset first) must not stop the listener.
                continue;
            }

            var id = Interlocked.Increment(ref _nextSessionId);
            var task = Task.Run(() => RunSessionAsync(client, endpoint, cancellationToken), CancellationToken.None);
            _sessions[id] = task;
            _ = task.ContinueWith(_ => _sessions.TryRemove(id, out Task? _), TaskScheduler.Default);
        }
    }

    private async Task RunSessionAsync(Socket client, ImapEndpoint endpoint, CancellationToken cancellationToken)
    {
        client.NoDelay = true;
        await using var connection = new ImapConnection(client);
        if (_sessions.Count > _context.Options.MaxSessions)
        {
            try
            {
                // RFC 9051 §7.1.5: BYE as the greeting refuses the connection.
                connection.WriteLine("* BYE Too many connections, try again later");
                await connection.FlushAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // Refusing anyway.
            }

            return;
        }

        await new ImapSession(_context, endpoint, connection).RunAsync(cancellationToken);
    }

    private void CloseSockets()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private static void Validate(ImapListenerOptions options)
    {
        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("at least one endpoint is needed", nameof(options));
        }

        if (options.Certificate?.HasPrivateKey != true)
        {
            throw new ArgumentException("a certificate with a private key is needed (IMAP always offers TLS)", nameof(options));
        }

        if (options.MaxMessageSize <= 0 || options.MaxMessageSize > int.MaxValue - 1024 || options.MaxCommandOctets < 1024
            || options.MaxErrors <= 0 || options.MaxAuthFailures <= 0 || options.MaxSessions <= 0 || options.MaxSessionsPerAccount <= 0)
        {
            throw new ArgumentException("limits must be positive (and a message below 2 GiB)", nameof(options));
        }
    }
}
