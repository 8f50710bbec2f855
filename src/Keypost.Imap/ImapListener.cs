using System.Net;
using System.Net.Sockets;
using Keypost.Net;
using Keypost.Imap.Diagnostics;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>
/// The IMAP4rev2 server (RFC 9051, with the IMAP4rev1 behaviour clients rely on) over the accounts' Maildirs in
/// an <see cref="IMailStore"/>. Start with <see cref="StartAsync"/>, stop with <see cref="StopAsync"/> or by disposing.
/// </summary>
public sealed class ImapListener : IAsyncDisposable
{
    private readonly ImapSessionContext _context;
    private readonly TcpAcceptor _acceptor;

    public ImapListener(ImapListenerOptions options, IMailAccounts accounts, IMailStore store)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(store);
        Validate(options);
        _context = new ImapSessionContext(options, accounts, store, new AccountSessionLimiter(options.MaxSessionsPerAccount), options.LoggerFactory.CreateLogger("Keypost.Imap"));
        _acceptor = new TcpAcceptor(options.Endpoints.Select(e => e.EndPoint).ToList(), (socket, index, ct) => RunSessionAsync(socket, options.Endpoints[index], ct));
    }

    /// <summary>The bound addresses, in the order of the configured endpoints (useful with port 0).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _acceptor.LocalEndPoints;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _acceptor.Start(cancellationToken);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, ends open sessions with BYE and waits for them (as long as the token allows).</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _context.Logger.LogInformation(ImapLogEvents.ImapStopping, "IMAP stopping: {Sessions} sessions get BYE", _acceptor.ActiveSessions);
        return _acceptor.StopAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

    private async Task RunSessionAsync(Socket client, ImapEndpoint endpoint, CancellationToken cancellationToken)
    {
        _context.Options.Metrics?.ImapSessionStarted();
        try
        {
            await RunConnectionAsync(client, endpoint, cancellationToken);
        }
        finally
        {
            _context.Options.Metrics?.ImapSessionEnded();
        }
    }

    private async Task RunConnectionAsync(Socket client, ImapEndpoint endpoint, CancellationToken cancellationToken)
    {
        await using var connection = new ImapConnection(client);
        if (_acceptor.ActiveSessions > _context.Options.MaxSessions)
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
