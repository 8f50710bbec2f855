using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Keypost.Mail.Smtp;

/// <summary>
/// The SMTP server: inbound (port 25) and submission (587 STARTTLS, 465 implicit TLS) listeners, handing each
/// complete message to an <see cref="IMessageAcceptor"/>. Start with <see cref="StartAsync"/>, stop with
/// <see cref="StopAsync"/> or by disposing.
/// </summary>
public sealed class SmtpListener : IAsyncDisposable
{
    private readonly SmtpSessionContext _context;
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly List<IPEndPoint> _localEndPoints = [];
    private CancellationTokenSource? _stopping;
    private long _nextSessionId;

    public SmtpListener(SmtpListenerOptions options, IMailAccounts accounts, IMessageAcceptor acceptor)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(acceptor);
        Validate(options);
        _context = new SmtpSessionContext(
            options, accounts, acceptor, new SubmissionRateLimiter(options.SubmissionMessagesPerMinute, options.TimeProvider));
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

    /// <summary>Stops accepting, tells open sessions 421 and waits for them (as long as the token allows).</summary>
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

    private async Task AcceptLoopAsync(Socket listenSocket, SmtpEndpoint endpoint, CancellationToken cancellationToken)
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

    private async Task RunSessionAsync(Socket client, SmtpEndpoint endpoint, CancellationToken cancellationToken)
    {
        client.NoDelay = true;
        await using var connection = new SmtpConnection(client);
        if (_sessions.Count > _context.Options.MaxSessions)
        {
            try
            {
                connection.Write(new SmtpReply(421, "4.7.0", _context.Options.HostName + " Error: too many connections"));
                await connection.FlushAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // Refusing anyway.
            }

            return;
        }

        await new SmtpSession(_context, endpoint, connection).RunAsync(cancellationToken);
    }

    private void CloseSockets()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private static void Validate(SmtpListenerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.HostName) || options.HostName.Any(c => c <= ' ' || c > '~'))
        {
            throw new ArgumentException("HostName must be a non-empty ASCII host name", nameof(options));
        }

        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("at least one endpoint is needed", nameof(options));
        }

        foreach (var endpoint in options.Endpoints)
        {
            if (endpoint.Kind == SmtpListenerKind.Submission && endpoint.TlsMode == SmtpTlsMode.None)
            {
                // RFC 8314 §3: submission carries passwords, so it always offers TLS.
                throw new ArgumentException($"submission endpoint {endpoint.EndPoint} needs StartTls or Implicit TLS", nameof(options));
            }

            if (endpoint.TlsMode != SmtpTlsMode.None && options.Certificate?.HasPrivateKey != true)
            {
                throw new ArgumentException($"endpoint {endpoint.EndPoint} uses TLS but no certificate with a private key is set", nameof(options));
            }
        }

        if (options.MaxMessageSize <= 0 || options.MaxRecipients <= 0 || options.MaxErrors <= 0
            || options.MaxAuthFailures <= 0 || options.MaxSessions <= 0 || options.SubmissionMessagesPerMinute <= 0)
        {
            throw new ArgumentException("limits must be positive", nameof(options));
        }
    }
}
