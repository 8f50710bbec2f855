using System.Net;
using System.Net.Sockets;
using Keypost.Mail.Queue;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Mail.Delivery;

/// <summary>
/// One SMTP connection to a domain's mail exchanger, reused for several messages. Tries the route's endpoints
/// in order (RFC 5321 §5.1) until one greets; uses STARTTLS whenever offered without checking the certificate
/// (opportunistic TLS, RFC 7435 — verified TLS comes with MTA-STS/DANE).
/// </summary>
internal sealed class RemoteSession : IAsyncDisposable
{
    private readonly DeliveryRoute route;
    private readonly DeliveryOptions options;
    private readonly EnvelopeSmtpClient client = new();
    private string? host;
    private string? connectError;

    public RemoteSession(DeliveryRoute route, DeliveryOptions options)
    {
        this.route = route;
        this.options = options;
        client.LocalDomain = options.LocalDomain;
        client.Timeout = (int)options.CommandTimeout.TotalMilliseconds;
        client.CheckCertificateRevocation = false;
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
    }

    public async Task<IReadOnlyList<DeliveryResult>> SendAsync(DeliveryItem item, Stream data, CancellationToken cancellationToken)
    {
        if (!await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false))
        {
            return item.Recipients.Select(r => DeliveryResult.Temporary(r.Index, "4.4.1", connectError!)).ToList();
        }

        var remote = "dns; " + host;
        var message = await MimeMessage.LoadAsync(ParserOptions.Default, data, persistent: true, cancellationToken).ConfigureAwait(false);
        var sender = item.Message.ReversePath is { } rp ? new MailboxAddress("", rp.ToString()) : NullSender();
        var recipients = item.Recipients.Select(r => new MailboxAddress("", r.Address.ToString())).ToList();
        var format = FormatOptions.Default.Clone();
        format.International = item.Message.SmtpUtf8;
        client.ClearRefused();
        try
        {
            await client.SendAsync(format, message, sender, recipients, cancellationToken).ConfigureAwait(false);
            return item.Recipients.Select(r => client.Refused.TryGetValue(r.Address.ToString(), out var refusal)
                    ? DeliveryResult.FromReply(r.Index, (int)refusal.StatusCode, refusal.Response, remote)
                    : DeliveryResult.Delivered(r.Index, remote))
                .ToList();
        }
        catch (NoRecipientsAcceptedException)
        {
            await ResetAsync(cancellationToken).ConfigureAwait(false);
            return item.Recipients.Select(r => client.Refused.TryGetValue(r.Address.ToString(), out var refusal)
                    ? DeliveryResult.FromReply(r.Index, (int)refusal.StatusCode, refusal.Response, remote)
                    : DeliveryResult.Temporary(r.Index, "4.0.0", "recipient not confirmed", remote))
                .ToList();
        }
        catch (SmtpCommandException e)
        {
            // MAIL FROM or DATA refused: the reply applies to every recipient still open in this transaction.
            await ResetAsync(cancellationToken).ConfigureAwait(false);
            return item.Recipients.Select(r => client.Refused.TryGetValue(r.Address.ToString(), out var refusal)
                    ? DeliveryResult.FromReply(r.Index, (int)refusal.StatusCode, refusal.Response, remote)
                    : DeliveryResult.FromReply(r.Index, (int)e.StatusCode, e.Message, remote))
                .ToList();
        }
        catch (NotSupportedException e)
        {
            // RFC 6531 §3.5: an SMTPUTF8 message cannot go to a server without SMTPUTF8.
            return item.Recipients.Select(r => DeliveryResult.Permanent(r.Index, "5.6.7", e.Message, remote)).ToList();
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException or TimeoutException)
        {
            // The connection broke (possibly mid-DATA): the peer did not take responsibility, so try again later.
            await DropAsync().ConfigureAwait(false);
            return item.Recipients.Select(r => DeliveryResult.Temporary(r.Index, "4.4.2", $"connection to {host} lost: {e.Message}", remote)).ToList();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (client.IsConnected)
        {
            try
            {
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.DisconnectAsync(quit: true, quit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or OperationCanceledException)
            {
                // The message is already handed over; a failed QUIT changes nothing.
            }
        }

        client.Dispose();
    }

    // MailKit has no null reverse-path type: an empty address is written as MAIL FROM:<>.
    private static MailboxAddress NullSender() => new("", "");

    private async Task<bool> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (client.IsConnected)
        {
            return true;
        }

        if (connectError is not null)
        {
            return false;
        }

        var errors = new List<string>();
        foreach (var (name, address) in route.Endpoints)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, options.SmtpPort), timeout.Token).ConfigureAwait(false);
                // The MX name (not the address) goes to SNI and to the certificate check, once there is one.
                await client.ConnectAsync(socket, name, options.SmtpPort, SecureSocketOptions.StartTlsWhenAvailable, cancellationToken).ConfigureAwait(false);
                host = name;
                return true;
            }
            catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException or SslHandshakeException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
                await DropAsync().ConfigureAwait(false);
                errors.Add($"{name} [{address}]: {e.Message}");
            }
        }

        connectError = errors.Count > 0 ? "cannot connect: " + string.Join("; ", errors) : "no mail exchanger to connect to";
        return false;
    }

    private async Task ResetAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.ResetTransactionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException)
        {
            await DropAsync().ConfigureAwait(false);
        }
    }

    private async Task DropAsync()
    {
        try
        {
            await client.DisconnectAsync(quit: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException)
        {
            // Already gone.
        }
    }
}
