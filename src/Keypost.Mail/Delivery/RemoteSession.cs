using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Keypost.Mail.Dane;
using Keypost.Mail.MtaSts;
using Keypost.Mail.TlsRpt;
using System.Net.Sockets;
using Keypost.Mail.Queue;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Mail.Delivery;

/// <summary>
/// One SMTP connection to a domain's mail exchanger, reused for several messages. Tries the route's endpoints
/// in order (RFC 5321 §5.1) until one greets and satisfies the domain's <see cref="TransportPolicy"/>: DANE
/// (RFC 7672) or MTA-STS (RFC 8461) hosts get mail only over STARTTLS with an authenticated certificate; other
/// hosts get STARTTLS whenever offered without a certificate check (opportunistic TLS, RFC 7435). A host that
/// fails its policy is skipped; when none is left the recipients are deferred with the reason (4.7.x).
/// </summary>
internal sealed class RemoteSession : IAsyncDisposable
{
    private readonly DeliveryRoute route;
    private readonly TransportPolicy policy;
    private readonly DeliveryOptions options;
    private readonly PkixValidator pkix;
    private readonly EnvelopeSmtpClient client = new();
    private string? host;
    private string? connectError;
    private string connectStatus = "4.4.1";
    private HostTlsPolicy current = HostTlsPolicy.Opportunistic;
    private string currentHost = "";
    private string? tlsFailure;
    private string? tlsFailureType;
    private readonly bool requireTls;

    /// <param name="requireTls">
    /// RFC 8689 §4.2.1: the messages were sent with REQUIRETLS: every host needs STARTTLS, a certificate authenticated
    /// by DANE or valid for the MX name, and REQUIRETLS in its EHLO after TLS (passed on in MAIL FROM); a host that
    /// fails any of it is skipped and, when none is left, the recipients fail with 5.7.30 rather than wait for a
    /// clear-text path.
    /// </param>
    /// <param name="offerRequireTls">Pass REQUIRETLS on in MAIL FROM when the host offers it, without requiring it (a redacted DSN of a REQUIRETLS message).</param>
    public RemoteSession(DeliveryRoute route, TransportPolicy policy, DeliveryOptions options, bool requireTls = false, bool offerRequireTls = false)
    {
        this.requireTls = requireTls;
        this.route = route;
        this.policy = policy;
        this.options = options;
        pkix = new PkixValidator(options.ExtraTrustedRoots);
        client.LocalDomain = options.LocalDomain;
        client.Timeout = (int)options.CommandTimeout.TotalMilliseconds;
        client.CheckCertificateRevocation = false;
        client.ServerCertificateValidationCallback = ValidateCertificate;
        // MailKit adds REQUIRETLS to MAIL FROM when the server advertised it.
        client.RequireTLS = requireTls || offerRequireTls;
    }

    /// <summary>The connection's TLS was authenticated by DANE or MTA-STS (RFC 8689 §4.2.1 asks this for REQUIRETLS).</summary>
    public bool Authenticated { get; private set; }

    public async Task<IReadOnlyList<DeliveryResult>> SendAsync(DeliveryItem item, Stream data, CancellationToken cancellationToken)
    {
        if (!await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false))
        {
            return item.Recipients.Select(r => connectStatus.StartsWith('5')
                ? DeliveryResult.Permanent(r.Index, connectStatus, "REQUIRETLS: " + connectError!, null)
                : DeliveryResult.Temporary(r.Index, connectStatus, connectError!)).ToList();
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
        var policyRefused = false;
        foreach (var (name, address) in route.Endpoints)
        {
            current = policy.For(name);
            currentHost = name;
            // RFC 8689 §4.2.1: REQUIRETLS wants an authenticated certificate whatever the domain's policy asks.
            var stsTesting = current.Requirement == HostTlsRequirement.MtaSts && policy.MtaSts?.Mode == MtaStsMode.Testing && !requireTls;
            if (requireTls && current.Requirement is HostTlsRequirement.Opportunistic or HostTlsRequirement.DaneUnusable)
            {
                current = new HostTlsPolicy(HostTlsRequirement.Pkix, current.Tlsa);
            }

            if (current.Requirement == HostTlsRequirement.MtaSts && !policy.MtaSts!.AllowsMx(name))
            {
                // RFC 8461 §4.1: an MX host the policy does not name is not a valid candidate.
                Report(name, address, "validation-failure", $"MX host {name} is not in the MTA-STS policy");
                if (!stsTesting)
                {
                    errors.Add($"{name} [{address}]: not an MX host of the MTA-STS policy of {policy.Domain}");
                    policyRefused = true;
                    continue;
                }

                current = HostTlsPolicy.Opportunistic;
            }

            if (current.Requirement == HostTlsRequirement.DaneLookupFailed)
            {
                Report(name, address, "dnssec-invalid", current.Error);
                errors.Add($"{name} [{address}]: {current.Error}");
                policyRefused = true;
                continue;
            }

            var required = current.Requirement is HostTlsRequirement.Dane or HostTlsRequirement.DaneUnusable or HostTlsRequirement.Pkix
                           || (current.Requirement == HostTlsRequirement.MtaSts && !stsTesting);
            tlsFailure = null;
            tlsFailureType = null;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, options.SmtpPort), timeout.Token).ConfigureAwait(false);
                // The MX name (not the address) goes to SNI and to the certificate check (RFC 7672 §3.2.2, RFC 8461 §4.2).
                var secure = required ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable;
                await client.ConnectAsync(socket, name, options.SmtpPort, secure, cancellationToken).ConfigureAwait(false);
                if (stsTesting && (!client.IsSecure || tlsFailure is not null))
                {
                    // RFC 8461 §5: in testing mode the failure is reported and the message still goes.
                    Report(name, address, client.IsSecure ? tlsFailureType! : "starttls-not-supported", tlsFailure ?? "STARTTLS not offered");
                }
                else if (current.Requirement != HostTlsRequirement.Opportunistic)
                {
                    Report(name, address, null, null);
                }

                if (requireTls && !client.Capabilities.HasFlag(SmtpCapabilities.RequireTLS))
                {
                    // RFC 8689 §4.2.1: the EHLO after TLS must offer REQUIRETLS, or the next hop could relay in clear.
                    await QuitAsync(cancellationToken).ConfigureAwait(false);
                    errors.Add($"{name} [{address}]: does not offer REQUIRETLS after STARTTLS");
                    policyRefused = true;
                    continue;
                }

                Authenticated = client.IsSecure && tlsFailure is null && current.Requirement is HostTlsRequirement.Dane or HostTlsRequirement.MtaSts;
                host = name;
                return true;
            }
            catch (NotSupportedException) when (required)
            {
                // MailKit's answer to a server that does not offer STARTTLS (or a proxy that stripped it).
                socket.Dispose();
                await DropAsync().ConfigureAwait(false);
                Report(name, address, "starttls-not-supported", "STARTTLS not offered");
                errors.Add($"{name} [{address}]: STARTTLS not offered, and {PolicyName()} requires TLS");
                policyRefused = true;
            }
            catch (SslHandshakeException e) when (tlsFailure is not null)
            {
                socket.Dispose();
                await DropAsync().ConfigureAwait(false);
                Report(name, address, tlsFailureType!, tlsFailure);
                errors.Add($"{name} [{address}]: {tlsFailure} ({PolicyName()}); {e.GetType().Name}");
                policyRefused = true;
            }
            catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException or SslHandshakeException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
                await DropAsync().ConfigureAwait(false);
                if (required && e is SslHandshakeException)
                {
                    Report(name, address, "validation-failure", e.Message);
                    policyRefused = true;
                }

                errors.Add($"{name} [{address}]: {e.Message}");
            }
        }

        // RFC 3463: X.7.10 "encryption needed" when a policy refused a host; X.4.1 when nobody answered. RFC 8689
        // §4.2.1: a REQUIRETLS message no host could take under its conditions is returned with 5.7.30, not kept
        // waiting for a path that might turn out to be in clear.
        connectStatus = policyRefused ? (requireTls ? "5.7.30" : "4.7.10") : "4.4.1";
        connectError = errors.Count > 0 ? "cannot connect: " + string.Join("; ", errors) : "no mail exchanger to connect to";
        return false;
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            (tlsFailureType, tlsFailure) = ("certificate-not-trusted", "no certificate presented");
            return current.Requirement is HostTlsRequirement.Opportunistic or HostTlsRequirement.DaneUnusable;
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        // MailKit does not hand us the SslStream; the name is the MX host we are connecting to (RFC 7672 §3.2.2).
        var target = currentHost;
        switch (current.Requirement)
        {
            case HostTlsRequirement.Dane:
                var presented = (chain?.ChainElements.Select(e => e.Certificate) ?? []).Concat(chain?.ChainPolicy.ExtraStore ?? []).Prepend(leaf).ToList();
                tlsFailure = DaneVerifier.Verify(leaf, presented, current.Tlsa, [target]);
                tlsFailureType = tlsFailure is null ? null : "validation-failure";
                if (tlsFailure is not null)
                {
                    tlsFailure = "DANE: " + tlsFailure;
                }

                return tlsFailure is null;
            case HostTlsRequirement.Pkix:
                tlsFailure = pkix.Check(leaf, chain, errors, target);
                tlsFailureType = tlsFailure is null ? null : "certificate-not-trusted";
                if (tlsFailure is not null)
                {
                    tlsFailure = "REQUIRETLS: " + tlsFailure;
                }

                return tlsFailure is null;
            case HostTlsRequirement.MtaSts:
                tlsFailure = pkix.Check(leaf, chain, errors, target);
                tlsFailureType = tlsFailure is null ? null
                    : tlsFailure.StartsWith("certificate-host-mismatch", StringComparison.Ordinal) ? "certificate-host-mismatch"
                    : leaf.NotAfter < DateTime.Now ? "certificate-expired"
                    : "certificate-not-trusted";
                if (tlsFailure is not null)
                {
                    tlsFailure = "MTA-STS: " + tlsFailure;
                }

                // In testing mode the failure is only reported (RFC 8461 §5).
                return tlsFailure is null || (policy.MtaSts?.Mode == MtaStsMode.Testing && !requireTls);
            default:
                return true;
        }
    }

    private string PolicyName() => current.Requirement switch
    {
        HostTlsRequirement.Dane or HostTlsRequirement.DaneUnusable => $"DANE (TLSA for {policy.Domain}'s MX)",
        HostTlsRequirement.MtaSts => $"the MTA-STS policy of {policy.Domain}",
        HostTlsRequirement.Pkix => "REQUIRETLS (RFC 8689)",
        _ => "policy",
    };

    private void Report(string mx, IPAddress address, string? resultType, string? reason)
    {
        if (options.TlsReports is not { } reports || current.Requirement == HostTlsRequirement.Pkix)
        {
            return;
        }

        var (type, strings) = current.Requirement switch
        {
            HostTlsRequirement.Dane or HostTlsRequirement.DaneUnusable or HostTlsRequirement.DaneLookupFailed =>
                ("tlsa", (IReadOnlyList<string>)current.Tlsa.Select(t => t.ToPresentation()).ToList()),
            _ when policy.MtaSts is { } sts => ("sts", sts.Text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList()),
            _ => ("no-policy-found", []),
        };
        reports.Record(new TlsSessionOutcome(policy.Domain, type, strings, mx, address.ToString(), resultType, reason));
    }

    private async Task QuitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException)
        {
            await DropAsync().ConfigureAwait(false);
        }
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
