using System.Net;
using System.Net.Sockets;
using Keypost.Mail.Net;

namespace Keypost.Mail.Smtp;

/// <summary>
/// The SMTP server: inbound (port 25) and submission (587 STARTTLS, 465 implicit TLS) listeners, handing each
/// complete message to an <see cref="IMessageAcceptor"/>. Start with <see cref="StartAsync"/>, stop with
/// <see cref="StopAsync"/> or by disposing.
/// </summary>
public sealed class SmtpListener : IAsyncDisposable
{
    private readonly SmtpSessionContext _context;
    private readonly TcpAcceptor _acceptor;

    public SmtpListener(SmtpListenerOptions options, IMailAccounts accounts, IMessageAcceptor acceptor)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(acceptor);
        Validate(options);
        _context = new SmtpSessionContext(
            options, accounts, acceptor, new SubmissionRateLimiter(options.SubmissionMessagesPerMinute, options.TimeProvider));
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

    public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

    private async Task RunSessionAsync(Socket client, SmtpEndpoint endpoint, CancellationToken cancellationToken)
    {
        await using var connection = new SmtpConnection(client);
        if (_acceptor.ActiveSessions > _context.Options.MaxSessions)
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
