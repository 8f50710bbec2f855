using System.Net;
using System.Net.Sockets;
using Keypost.Core.Abuse;
using Keypost.Mail.Diagnostics;
using Keypost.Net;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Mail.Smtp;

/// <summary>
/// In charge of SMTP: listening, sessions, commands, STARTTLS and AUTH, handing whole messages to an acceptor.
/// The SMTP server: inbound (port 25) and submission (587 STARTTLS, 465 implicit TLS) listeners, handing each
/// complete message to an <see cref="IMessageAcceptor"/>. Start with <see cref="StartAsync"/>, stop with
/// <see cref="StopAsync"/> or by disposing.
/// </summary>
public sealed class SmtpListener : IAsyncDisposable
{
    private readonly SmtpSessionContext _context;
    private readonly TcpAcceptor _acceptor;
    private readonly CancellationTokenSource _draining = new();
    private readonly ILogger _logger;
    private readonly ConnectionLimiter _connections;

    public SmtpListener(SmtpListenerOptions options, IMailAccounts accounts, IMessageAcceptor acceptor)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(acceptor);
        Validate(options);
        _logger = options.LoggerFactory.CreateLogger("Keypost.Mail.Smtp");
        var throttle = options.LoginThrottle ?? new LoginThrottle(new LoginThrottleOptions { BaseDelay = options.AuthFailureDelay, MaxDelay = TimeSpan.FromTicks(Math.Max(options.AuthFailureDelay.Ticks * 16, 0)) }, options.TimeProvider);
        _connections = new ConnectionLimiter(options.MaxSessionsPerAddress, options.ConnectionsPerMinutePerAddress, options.TimeProvider, shared: options.SharedCounters, scope: "smtp");
        _context = new SmtpSessionContext(
            options, accounts, acceptor, new SubmissionRateLimiter(options.SubmissionMessagesPerMinute), throttle, _logger, _draining.Token);
        _logger.LogInformation(
            MailLogEvents.SmtpLoginLimits,
            "SMTP limits: {MaxSessions} sessions, {PerAddress} per address, {PerMinute} new per address per minute (0: no limit); {AuthFailures} failed AUTH per session; an address is blocked {BlockSeconds} s after {BlockAfter} failed logins in {WindowSeconds} s; failure delay {BaseDelay} s doubling to {MaxDelay} s",
            options.MaxSessions, options.MaxSessionsPerAddress, options.ConnectionsPerMinutePerAddress, options.MaxAuthFailures, throttle.Options.BlockDuration.TotalSeconds, throttle.Options.AddressBlockThreshold,
            throttle.Options.Window.TotalSeconds, throttle.Options.BaseDelay.TotalSeconds, throttle.Options.MaxDelay.TotalSeconds);
        _acceptor = new TcpAcceptor(options.Endpoints.Select(e => e.EndPoint).ToList(), (socket, index, ct) => RunSessionAsync(socket, options.Endpoints[index], ct));
    }

    /// <summary>The bound addresses, in the order of the configured endpoints (useful with port 0).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _acceptor.LocalEndPoints;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _acceptor.Start(cancellationToken);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, ends open sessions and waits for them (as long as the token allows).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _acceptor.StopAsync(cancellationToken);

    /// <summary>The per-address connection limits and what they refused so far.</summary>
    public ConnectionLimiter Connections => _connections;

    /// <summary>Sessions open now.</summary>
    public int ActiveSessions => _acceptor.ActiveSessions;

    /// <summary>
    /// A graceful stop (RFC 5321 §3.8): no new connections; sessions between transactions get 421 at once; a
    /// transaction under way may finish (its message queued and answered 250) until <paramref name="drainTime"/>
    /// is over, after which what is left gets 421 and nothing it sent is claimed.
    /// </summary>
    public async Task DrainAsync(TimeSpan drainTime, CancellationToken cancellationToken)
    {
        if (_draining.IsCancellationRequested)
        {
            return;
        }

        var open = _acceptor.ActiveSessions;
        _logger.LogInformation(MailLogEvents.SmtpDraining, "SMTP draining: stopped accepting, {Sessions} sessions open, waiting up to {DrainSeconds} s for transactions to finish", open, drainTime.TotalSeconds);
        await _draining.CancelAsync();
        await _acceptor.StopAcceptingAsync();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(drainTime);
        var left = 0;
        try
        {
            await _acceptor.WaitForSessionsAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            left = _acceptor.ActiveSessions;
        }

        await _acceptor.StopAsync(cancellationToken);
        _logger.LogInformation(MailLogEvents.SmtpDrained, "SMTP drained: {Sessions} sessions were still open at the deadline and got 421", left);
    }

    public async ValueTask DisposeAsync()
    {
        await _acceptor.DisposeAsync();
        _context.RateLimiter.Dispose();
        _draining.Dispose();
    }

    private async Task RunSessionAsync(Socket client, SmtpEndpoint endpoint, CancellationToken cancellationToken)
    {
        var listener = endpoint.Kind == SmtpListenerKind.Inbound ? "inbound" : "submission";
        _context.Options.Metrics?.SmtpSessionStarted(listener);
        try
        {
            await RunConnectionAsync(client, endpoint, cancellationToken);
        }
        finally
        {
            _context.Options.Metrics?.SmtpSessionEnded(listener);
        }
    }

    private async Task RunConnectionAsync(Socket client, SmtpEndpoint endpoint, CancellationToken cancellationToken)
    {
        await using var connection = new SmtpConnection(client);
        var address = connection.RemoteAddress.IsIPv4MappedToIPv6 ? connection.RemoteAddress.MapToIPv4() : connection.RemoteAddress;
        var admission = await _connections.TryEnterAsync(address, cancellationToken);
        try
        {
            // RFC 5321 §3.8 / §4.2.5: 421 at the greeting says "not now" and closes; the client retries later.
            if (_acceptor.ActiveSessions > _context.Options.MaxSessions)
            {
                _context.Options.Metrics?.ConnectionRefused("smtp", "total");
                await RefuseAsync(connection, "4.7.0", "too many connections", cancellationToken);
                return;
            }

            if (admission == ConnectionAdmission.TooManyOpen)
            {
                _logger.LogWarning(MailLogEvents.SmtpTooManyConnections, "SMTP refused a connection from {Peer}: {Limit} sessions open from it already ({Refused} refused so far for this)", address, _context.Options.MaxSessionsPerAddress, _connections.RefusedTooMany);
                _context.Options.Metrics?.ConnectionRefused("smtp", "per_address");
                await RefuseAsync(connection, "4.7.0", "too many connections from your address", cancellationToken);
                return;
            }

            if (admission == ConnectionAdmission.TooFast)
            {
                _logger.LogWarning(MailLogEvents.SmtpConnectionRate, "SMTP refused a connection from {Peer}: more than {Limit} connections from it this minute ({Refused} refused so far for this)", address, _context.Options.ConnectionsPerMinutePerAddress, _connections.RefusedTooFast);
                _context.Options.Metrics?.ConnectionRefused("smtp", "rate");
                await RefuseAsync(connection, "4.7.0", "too many connections from your address, slow down", cancellationToken);
                return;
            }

            // An address blocked for failed logins gets nothing from submission until the block ends; inbound
            // (port 25) offers no AUTH, so a shared outbound relay there is not cut off from delivering mail.
            if (endpoint.Kind == SmtpListenerKind.Submission && await _context.LoginThrottle.BlockedForAsync(address, cancellationToken) is { } blockedFor)
            {
                _context.Options.Metrics?.ConnectionRefused("smtp", "login_block");
                _logger.LogInformation(MailLogEvents.SmtpAddressBlocked, "SMTP refused a submission connection from {Peer}: blocked for failed logins for {Seconds} s more", address, (long)blockedFor.TotalSeconds);
                await RefuseAsync(connection, "4.7.0", "too many failed authentications, try again later", cancellationToken);
                return;
            }

            await new SmtpSession(_context, endpoint, connection).RunAsync(cancellationToken);
        }
        finally
        {
            if (admission == ConnectionAdmission.Admitted)
            {
                _connections.Leave(address);
            }

            // Issue #13: the client reads the final reply (221, or a 5xx/421 that ends the session) before we close.
            await connection.LingerAsync(_context.Options.CloseLinger, 1024 * 1024, cancellationToken);
        }
    }

    private async Task RefuseAsync(SmtpConnection connection, string enhancedCode, string text, CancellationToken cancellationToken)
    {
        try
        {
            connection.Write(new SmtpReply(421, enhancedCode, _context.Options.HostName + " Error: " + text));
            await connection.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // Refusing anyway.
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
            || options.MaxAuthFailures <= 0 || options.MaxSessions <= 0 || options.MaxSessionsPerAddress <= 0 || options.SubmissionMessagesPerMinute <= 0
            || options.ConnectionsPerMinutePerAddress < 0)
        {
            throw new ArgumentException("limits must be positive", nameof(options));
        }
    }
}
