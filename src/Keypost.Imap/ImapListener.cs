using System.Net;
using System.Net.Sockets;
using Keypost.Core.Abuse;
using Keypost.Net;
using Keypost.Imap.Diagnostics;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>
/// In charge of IMAP4rev2: listening, sessions and commands, over the store.
/// The IMAP4rev2 server (RFC 9051, with the IMAP4rev1 behaviour clients rely on) over the accounts' Maildirs in
/// an <see cref="IMailStore"/>. Start with <see cref="StartAsync"/>, stop with <see cref="StopAsync"/> or by disposing.
/// </summary>
public sealed class ImapListener : IAsyncDisposable
{
    private readonly ImapSessionContext _context;
    private readonly TcpAcceptor _acceptor;
    private readonly ConnectionLimiter _connections;

    public ImapListener(ImapListenerOptions options, IMailAccounts accounts, IMailStore store)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(store);
        Validate(options);
        var throttle = options.LoginThrottle ?? new LoginThrottle(new LoginThrottleOptions { BaseDelay = options.AuthFailureDelay, MaxDelay = TimeSpan.FromTicks(Math.Max(options.AuthFailureDelay.Ticks * 16, 0)) }, options.TimeProvider);
        _connections = new ConnectionLimiter(options.MaxSessionsPerAddress, options.ConnectionsPerMinutePerAddress, options.TimeProvider, shared: options.SharedCounters, scope: "imap");
        _context = new ImapSessionContext(options, accounts, store, new AccountSessionLimiter(options.MaxSessionsPerAccount), throttle, options.LoggerFactory.CreateLogger("Keypost.Imap"));
        _context.Logger.LogInformation(
            ImapLogEvents.ImapLoginLimits,
            "IMAP limits: {MaxSessions} sessions, {PerAddress} per address, {PerMinute} new per address per minute (0: no limit); {AuthFailures} failed logins per session; an address is blocked {BlockSeconds} s after {BlockAfter} failed logins in {WindowSeconds} s; failure delay {BaseDelay} s doubling to {MaxDelay} s",
            options.MaxSessions, options.MaxSessionsPerAddress, options.ConnectionsPerMinutePerAddress, options.MaxAuthFailures, throttle.Options.BlockDuration.TotalSeconds,
            throttle.Options.AddressBlockThreshold, throttle.Options.Window.TotalSeconds, throttle.Options.BaseDelay.TotalSeconds, throttle.Options.MaxDelay.TotalSeconds);
        _acceptor = new TcpAcceptor(options.Endpoints.Select(e => e.EndPoint).ToList(), (socket, index, ct) => RunSessionAsync(socket, options.Endpoints[index], ct));
    }

    /// <summary>The bound addresses, in the order of the configured endpoints (useful with port 0).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _acceptor.LocalEndPoints;

    /// <summary>The per-address connection limits and what they refused so far.</summary>
    public ConnectionLimiter Connections => _connections;

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

    /// <summary>
    /// Runs the store and FETCH code a first SELECT needs once, on a temporary Maildir that is deleted after, so the
    /// first client after a restart does not wait for the JIT (issue #19). For a server's start; tests need not.
    /// </summary>
    public Task WarmUpAsync(CancellationToken cancellationToken) => ImapWarmUp.RunAsync(cancellationToken);

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
        var address = connection.RemoteAddress.IsIPv4MappedToIPv6 ? connection.RemoteAddress.MapToIPv4() : connection.RemoteAddress;
        var admission = await _connections.TryEnterAsync(address, cancellationToken);
        try
        {
            var refusal = RefusalOf(address, admission, admission == ConnectionAdmission.Admitted ? await _context.LoginThrottle.BlockedForAsync(address, cancellationToken) : null);
            if (refusal is not null)
            {
                await RefuseAsync(connection, refusal, cancellationToken);
                return;
            }

            await new ImapSession(_context, endpoint, connection).RunAsync(cancellationToken);
        }
        finally
        {
            if (admission == ConnectionAdmission.Admitted)
            {
                _connections.Leave(address);
            }
        }
    }

    // The text of the BYE that refuses a new connection, or null to serve it.
    private string? RefusalOf(System.Net.IPAddress address, ConnectionAdmission admission, TimeSpan? blockedFor)
    {
        var metrics = _context.Options.Metrics;
        if (_acceptor.ActiveSessions > _context.Options.MaxSessions)
        {
            metrics?.ConnectionRefused("total");
            return "Too many connections, try again later";
        }

        if (admission == ConnectionAdmission.TooManyOpen)
        {
            metrics?.ConnectionRefused("per_address");
            _context.Logger.LogWarning(ImapLogEvents.ImapTooManyConnections, "IMAP refused a connection from {Peer}: {Limit} sessions open from it already ({Refused} refused so far for this)", address, _context.Options.MaxSessionsPerAddress, _connections.RefusedTooMany);
            return "Too many connections from your address, try again later";
        }

        if (admission == ConnectionAdmission.TooFast)
        {
            metrics?.ConnectionRefused("rate");
            _context.Logger.LogWarning(ImapLogEvents.ImapConnectionRate, "IMAP refused a connection from {Peer}: more than {Limit} connections from it this minute ({Refused} refused so far for this)", address, _context.Options.ConnectionsPerMinutePerAddress, _connections.RefusedTooFast);
            return "Too many connections from your address, slow down";
        }

        // Every IMAP session can log in, so an address blocked for failed logins gets nothing until the block ends.
        if (blockedFor is not null)
        {
            metrics?.ConnectionRefused("login_block");
            _context.Logger.LogInformation(ImapLogEvents.ImapAddressBlocked, "IMAP refused a connection from {Peer}: blocked for failed logins for {Seconds} s more", address, (long)blockedFor.Value.TotalSeconds);
            return "Too many failed logins from your address, try again later";
        }

        return null;
    }

    private static async Task RefuseAsync(ImapConnection connection, string text, CancellationToken cancellationToken)
    {
        try
        {
            // RFC 9051 §7.1.5: BYE as the greeting refuses the connection.
            connection.WriteLine("* BYE " + text);
            await connection.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // Refusing anyway.
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
            || options.MaxErrors <= 0 || options.MaxAuthFailures <= 0 || options.MaxSessions <= 0 || options.MaxSessionsPerAccount <= 0
            || options.MaxSessionsPerAddress <= 0 || options.ConnectionsPerMinutePerAddress < 0)
        {
            throw new ArgumentException("limits must be positive (and a message below 2 GiB)", nameof(options));
        }
    }
}
