using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Keypost.Core.Abuse;
using Keypost.Core.Addresses;
using Keypost.Mail.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Keypost.Mail.Smtp;

/// <summary>One client connection: the RFC 5321 command loop and its state.</summary>
internal sealed class SmtpSession
{
    // RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.
    private const int MaxCommandOctets = 512;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly SmtpSessionContext _context;
    private readonly SmtpEndpoint _endpoint;
    private readonly SmtpConnection _connection;
    private readonly SmtpEnvelopeRules _rules;
    private string? _heloName;
    private bool _extended;
    private EmailAddress? _account;
    private SmtpTransaction? _transaction;
    private int _errors;
    private int _authFailures;
    private bool _inData;

    public SmtpSession(SmtpSessionContext context, SmtpEndpoint endpoint, SmtpConnection connection)
    {
        _context = context;
        _endpoint = endpoint;
        _connection = connection;
        _rules = new SmtpEnvelopeRules(context, endpoint.Kind);
    }

    private SmtpListenerOptions Options => _context.Options;

    private ILogger Logger => _context.Logger;

    private string ListenerName => _endpoint.Kind == SmtpListenerKind.Inbound ? "inbound" : "submission";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            _connection.ReadTimeout = Options.CommandTimeout;
            if (_endpoint.TlsMode == SmtpTlsMode.Implicit)
            {
                await _connection.UpgradeToTlsAsync(Options.CurrentCertificate!, cancellationToken);
            }

            // RFC 5321 §4.2: the greeting names the host; no software version is revealed.
            _connection.Write(new SmtpReply(220, null, Options.HostName + " ESMTP Keypost"));
            while (await NextCommandAsync(cancellationToken))
            {
            }

            await _connection.FlushAsync(cancellationToken);
        }
        catch (TimeoutException)
        {
            await TryCloseWithAsync(new SmtpReply(421, "4.4.2", Options.HostName + " Error: timeout exceeded"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The drain time ran out (or the server was stopped hard): whatever this client was sending is not
            // claimed, and 421 tells it to try again later (RFC 5321 §3.8).
            Logger.LogInformation(MailLogEvents.SmtpShutdownReply, "SMTP {Listener} session from {Peer} ended by shutdown with 421 (in a transaction: {InTransaction})", ListenerName, _connection.RemoteAddress, _transaction is not null || _inData);
            await TryCloseWithAsync(new SmtpReply(421, "4.3.2", Options.HostName + " Service shutting down"));
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or ObjectDisposedException)
        {
            // The client went away or failed the TLS handshake: nothing to answer.
            Logger.LogDebug(MailLogEvents.SmtpSessionError, e, "SMTP {Listener} session from {Peer} ended: {Error}", ListenerName, _connection.RemoteAddress, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failing dependency (accounts store, disk) must not leave the client hanging.
            Logger.LogError(MailLogEvents.SmtpSessionError, e, "SMTP {Listener} session from {Peer} failed; closing with 421", ListenerName, _connection.RemoteAddress);
            await TryCloseWithAsync(new SmtpReply(421, "4.3.0", Options.HostName + " Error: local error, try again later"));
        }
    }

    /// <summary>Reads and answers one command; false when the session is over.</summary>
    private async Task<bool> NextCommandAsync(CancellationToken cancellationToken)
    {
        var line = await ReadCommandLineAsync(cancellationToken);
        if (line is null)
        {
            // RFC 5321 §3.8: a server shutting down may answer any command with 421 and close.
            _connection.Write(new SmtpReply(421, "4.3.2", Options.HostName + " Service shutting down"));
            Logger.LogDebug(MailLogEvents.SmtpShutdownReply, "SMTP {Listener} session from {Peer} closed with 421 while draining", ListenerName, _connection.RemoteAddress);
            return false;
        }

        switch (line.Value.Status)
        {
            case SmtpLineStatus.EndOfStream:
                return false;
            case SmtpLineStatus.Overflow:
                // Never buffer an endless line: answer and hang up.
                _connection.Write(new SmtpReply(500, "5.5.2", "Error: line too long"));
                return false;
            case SmtpLineStatus.TooLong:
                return Reject(new SmtpReply(500, "5.5.2", "Error: line too long"));
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(line.Value.Bytes);
        }
        catch (DecoderFallbackException)
        {
            return Reject(new SmtpReply(500, "5.5.2", "Error: command is not valid UTF-8"));
        }

        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? text : text[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : text[(space + 1)..];
        if (line.Value.Bytes.Length + 2 > MaxCommandOctets && verb != "AUTH")
        {
            return Reject(new SmtpReply(500, "5.5.2", "Error: line too long"));
        }

        if (text.Any(char.IsControl))
        {
            // A bare CR, LF or NUL in a command is never legitimate (RFC 5321 §2.3.8).
            return Reject(new SmtpReply(500, "5.5.2", "Error: control character in command"));
        }

        try
        {
            return await DispatchAsync(verb, argument, cancellationToken);
        }
        catch (Exception e) when (!IsConnectionFailure(e, cancellationToken))
        {
            Logger.LogError(e, "SMTP command {Verb} failed", verb);
            if (verb is "DATA" or "AUTH" or "STARTTLS")
            {
                // These read further lines or change the stream: after a failure in the middle of one, what the
                // client sends next cannot be told apart from commands, so the only safe answer is to close.
                _connection.Write(new SmtpReply(421, "4.3.0", Options.HostName + " Error: local error, closing"));
                return false;
            }

            // One line in, one reply out: the transaction is forgotten (RFC 5321 §4.1.1.5) and the session goes on.
            _transaction = null;
            return Reject(new SmtpReply(451, "4.3.0", "Error: local error in processing, transaction reset"));
        }
    }

    /// <summary>Failures that mean the connection itself is gone or the server stops: these end the session.</summary>
    private static bool IsConnectionFailure(Exception e, CancellationToken cancellationToken) =>
        e is IOException or SocketException or AuthenticationException or ObjectDisposedException or TimeoutException
        || (e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    // Between transactions a drain interrupts the wait for the next command (null); inside one, only the hard stop does.
    private async Task<SmtpLine?> ReadCommandLineAsync(CancellationToken cancellationToken)
    {
        if (_transaction is not null)
        {
            return await _connection.ReadLineAsync(SmtpAuthenticator.MaxLineOctets, cancellationToken);
        }

        if (_context.Draining.IsCancellationRequested)
        {
            return null;
        }

        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _context.Draining);
        try
        {
            return await _connection.ReadLineAsync(SmtpAuthenticator.MaxLineOctets, either.Token);
        }
        catch (OperationCanceledException) when (_context.Draining.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<bool> DispatchAsync(string verb, string argument, CancellationToken cancellationToken)
    {
        switch (verb)
        {
            case "EHLO":
            case "HELO":
                return Hello(verb == "EHLO", argument);
            case "MAIL":
                return Mail(argument);
            case "RCPT":
                return await RecipientAsync(argument, cancellationToken);
            case "DATA":
                return await DataAsync(argument, cancellationToken);
            case "STARTTLS":
                return await StartTlsAsync(argument, cancellationToken);
            case "AUTH":
                return await AuthAsync(argument, cancellationToken);
            case "RSET":
                if (argument.Length > 0)
                {
                    return Reject(new SmtpReply(501, "5.5.4", "Syntax: RSET"));
                }

                _transaction = null;
                return Reply(new SmtpReply(250, "2.0.0", "Ok"));
            case "NOOP":
                return Reply(new SmtpReply(250, "2.0.0", "Ok"));
            case "QUIT":
                _connection.Write(new SmtpReply(221, "2.0.0", "Bye"));
                return false;
            case "VRFY":
                // RFC 5321 §3.5.3: 252 answers without confirming or denying that an account exists.
                return Reply(new SmtpReply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"));
            case "EXPN":
                return Reject(new SmtpReply(502, "5.5.1", "EXPN not available"));
            case "HELP":
                return Reply(new SmtpReply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH"));
            default:
                return Reject(new SmtpReply(500, "5.5.1", "Error: command not recognized"));
        }
    }

    private bool Hello(bool extended, string argument)
    {
        var name = argument.Trim();
        if (name.Length == 0 || name.Contains(' ', StringComparison.Ordinal))
        {
            return Reject(new SmtpReply(501, "5.5.4", extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname"));
        }

        // RFC 5321 §4.1.4: EHLO or HELO resets any transaction in progress.
        _heloName = name;
        _extended = extended;
        _transaction = null;
        if (!extended)
        {
            return Reply(new SmtpReply(250, null, Options.HostName));
        }

        var lines = new List<string>
        {
            Options.HostName,
            "PIPELINING",
            "SIZE " + Options.MaxMessageSize,
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
        };
        if (_endpoint.TlsMode == SmtpTlsMode.StartTls && !_connection.IsSecure)
        {
            lines.Add("STARTTLS");
        }

        // RFC 8689 §3: REQUIRETLS is offered only once the session is protected by TLS.
        if (_connection.IsSecure)
        {
            lines.Add("REQUIRETLS");
        }

        // RFC 8314 §3 and RFC 4954 §4: passwords only ever travel inside TLS.
        if (_endpoint.Kind == SmtpListenerKind.Submission && _connection.IsSecure && _account is null)
        {
            lines.Add("AUTH PLAIN LOGIN");
        }

        return Reply(new SmtpReply(250, null, lines));
    }

    private bool Mail(string argument)
    {
        if (_heloName is null)
        {
            return Reject(new SmtpReply(503, "5.5.1", "Error: send HELO/EHLO first"));
        }

        if (_transaction is not null)
        {
            return Reject(new SmtpReply(503, "5.5.1", "Error: nested MAIL command"));
        }

        if (_endpoint.Kind == SmtpListenerKind.Submission && _account is null)
        {
            return Reject(new SmtpReply(530, "5.7.0", "Authentication required"));
        }

        var (transaction, reply) = _rules.CheckSender(argument, _extended, _account, _connection.IsSecure);
        _transaction = transaction;
        return reply.IsError ? Reject(reply) : Reply(reply);
    }

    private async Task<bool> RecipientAsync(string argument, CancellationToken cancellationToken)
    {
        if (_transaction is null)
        {
            return Reject(new SmtpReply(503, "5.5.1", "Error: need MAIL command"));
        }

        var reply = await _rules.CheckRecipientAsync(argument, _transaction, cancellationToken);
        return reply.IsError ? Reject(reply) : Reply(reply);
    }

    private async Task<bool> DataAsync(string argument, CancellationToken cancellationToken)
    {
        if (argument.Length > 0)
        {
            return Reject(new SmtpReply(501, "5.5.4", "Syntax: DATA"));
        }

        if (_transaction is null)
        {
            return Reject(new SmtpReply(503, "5.5.1", "Error: need MAIL command"));
        }

        if (_transaction.RecipientCount == 0)
        {
            // RFC 2920 §3.1: with every RCPT refused, a pipelined DATA must fail, not wait for content.
            return Reject(new SmtpReply(554, "5.5.1", "Error: no valid recipients"));
        }

        var transaction = _transaction;
        _transaction = null;
        _inData = true;
        var started = Options.TimeProvider.GetTimestamp();
        _connection.Write(new SmtpReply(354, null, "End data with <CR><LF>.<CR><LF>"));
        await using var buffer = new MessageBuffer(Options.MaxMessageSize);
        _connection.ReadTimeout = Options.DataTimeout;
        var end = await SmtpDataReceiver.ReceiveAsync(_connection, buffer, cancellationToken);
        _connection.ReadTimeout = Options.CommandTimeout;
        _inData = false;
        if (end == SmtpDataEnd.Disconnected)
        {
            return false;
        }

        var envelope = transaction.ToEnvelope();
        if (end == SmtpDataEnd.LineTooLong)
        {
            // RFC 5321 §4.5.3.1.6 caps lines at 1000 octets; RFC 3463 5.6.0: a problem with the content as sent.
            var lineTooLong = new SmtpReply(554, "5.6.0", "Error: message refused: a line is longer than 1000 octets (RFC 5321 section 4.5.3.1.6)");
            LogTransaction(envelope, lineTooLong.Code, lineTooLong.EnhancedCode, null, buffer.Length, started);
            return Reject(lineTooLong);
        }

        if (buffer.Overflowed)
        {
            var tooBig = new SmtpReply(552, "5.3.4", "Error: message exceeds fixed maximum message size");
            LogTransaction(envelope, tooBig.Code, tooBig.EnhancedCode, null, buffer.Length, started);
            return Reject(tooBig);
        }

        var session = new SmtpSessionInfo(
            _endpoint.Kind, _connection.RemoteAddress, _heloName!, _connection.IsSecure, _account?.ToString());
        var (reply, queueId) = await DeliverAsync(session, envelope, buffer, cancellationToken);
        LogTransaction(envelope, reply.Code, reply.EnhancedCode, queueId, buffer.Length, started);
        return Reply(reply);
    }

    // One line per transaction, whatever its end: the queue id ties it to the delivery lines. Addresses are at
    // Debug only: an Information log is read and shipped widely, and who writes to whom is the users' business.
    private void LogTransaction(SmtpEnvelope envelope, int code, string? enhancedCode, string? queueId, long size, long started)
    {
        Options.Metrics?.SmtpTransaction(ListenerName, code);
        var elapsed = Options.TimeProvider.GetElapsedTime(started);
        Logger.LogInformation(
            MailLogEvents.SmtpTransaction,
            "SMTP {Listener} from {Peer} ({Helo}, tls {Tls}): {Code} {EnhancedCode} queue {QueueId}, {Recipients} recipients, {Size} bytes, {ElapsedMs} ms",
            ListenerName, _connection.RemoteAddress, _heloName, _connection.IsSecure, code, enhancedCode, queueId ?? "-", envelope.Recipients.Count, size, (long)elapsed.TotalMilliseconds);
        Logger.LogDebug(MailLogEvents.SmtpTransaction, "SMTP transaction {QueueId}: from <{Sender}> to {RecipientList}", queueId ?? "-", envelope.ReversePath, string.Join(", ", envelope.Recipients));
    }

    private async Task<(SmtpReply Reply, string? QueueId)> DeliverAsync(SmtpSessionInfo session, SmtpEnvelope envelope, MessageBuffer buffer, CancellationToken cancellationToken)
    {
        AcceptResult result;
        try
        {
            result = await _context.Acceptor.AcceptAsync(session, envelope, buffer.OpenRead(), cancellationToken);
        }
        catch (FormatException e)
        {
            // The content cannot be parsed as a message (RFC 5322): retrying cannot change that, so the refusal
            // is permanent (RFC 3463 5.6.0: other or undefined media error) rather than 451, retried for days.
            Logger.LogInformation(e, "DATA refused: not a parseable message");
            return (new SmtpReply(554, "5.6.0", "Error: message content is not a valid RFC 5322 message"), null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nothing is claimed: the client keeps the message and tries again later.
            Logger.LogError(MailLogEvents.SmtpAcceptFailed, e, "SMTP {Listener} from {Peer}: accepting the message failed; answered 451", ListenerName, session.RemoteAddress);
            return (new SmtpReply(451, "4.3.0", "Error: local error in processing"), null);
        }

        if (result.IsSuccess && _account is not null)
        {
            _context.RateLimiter.Record(_account.Canonical);
        }

        return (new SmtpReply(result.Code, result.EnhancedCode, result.Text), result.QueueId);
    }

    private async Task<bool> StartTlsAsync(string argument, CancellationToken cancellationToken)
    {
        if (_endpoint.TlsMode != SmtpTlsMode.StartTls || _connection.IsSecure)
        {
            return Reject(new SmtpReply(502, "5.5.1", "Error: STARTTLS not available"));
        }

        if (argument.Length > 0)
        {
            return Reject(new SmtpReply(501, "5.5.4", "Syntax: STARTTLS"));
        }

        _connection.Write(new SmtpReply(220, "2.0.0", "Ready to start TLS"));
        await _connection.UpgradeToTlsAsync(Options.CurrentCertificate!, cancellationToken);

        // RFC 3207 §4.2: forget everything learnt before TLS; the client starts again with EHLO.
        _heloName = null;
        _extended = false;
        _transaction = null;
        _account = null;
        return true;
    }

    private async Task<bool> AuthAsync(string argument, CancellationToken cancellationToken)
    {
        var refusal = _endpoint.Kind != SmtpListenerKind.Submission ? new SmtpReply(503, "5.5.1", "Error: authentication not enabled")
            : _heloName is null ? new SmtpReply(503, "5.5.1", "Error: send EHLO first")
            : !_connection.IsSecure ? new SmtpReply(538, "5.7.11", "Encryption required for requested authentication mechanism")
            : _account is not null ? new SmtpReply(503, "5.5.1", "Error: already authenticated")
            : _transaction is not null ? new SmtpReply(503, "5.5.1", "Error: MAIL transaction in progress")
            : null;
        if (refusal is not null)
        {
            return Reject(refusal);
        }

        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2)
        {
            return Reject(new SmtpReply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"));
        }

        string? initial = null;
        if (parts.Length == 2)
        {
            var decoded = SmtpAuthenticator.Decode(parts[1]);
            if (decoded.Reply is not null)
            {
                return Reject(decoded.Reply);
            }

            initial = decoded.Text;
        }

        // RFC 4954 §6: 454 4.7.0 is a temporary authentication failure. A blocked address costs no password hash.
        var address = _connection.RemoteAddress.IsIPv4MappedToIPv6 ? _connection.RemoteAddress.MapToIPv4() : _connection.RemoteAddress;
        if (await _context.LoginThrottle.BlockedForAsync(address, cancellationToken) is not null)
        {
            Options.Metrics?.LoginRefused("smtp");
            _connection.Write(new SmtpReply(454, "4.7.0", "Temporary authentication failure: too many failed authentications, try again later"));
            _connection.Write(new SmtpReply(421, "4.7.0", Options.HostName + " Error: too many failed authentications"));
            return false;
        }

        var outcome = await new SmtpAuthenticator(_connection, _context.Accounts).AuthenticateAsync(parts[0], initial, cancellationToken);
        if (outcome.Account is not null)
        {
            _account = outcome.Account;
            _context.LoginThrottle.RecordSuccess(outcome.UserName ?? outcome.Account.Canonical);
            return Reply(outcome.Reply!);
        }

        if (!outcome.CredentialsRejected)
        {
            return Reject(outcome.Reply!);
        }

        _authFailures++;
        var verdict = await _context.LoginThrottle.RecordFailureAsync(address, outcome.UserName, cancellationToken);
        Options.Metrics?.LoginFailure("smtp", verdict.AddressBlocked);
        Logger.LogInformation(
            MailLogEvents.SmtpAuthFailed,
            "SMTP {Listener} AUTH failed from {Peer}: {AddressFailures} failures from this address, {AccountFailures} for this user; answering after {DelayMs} ms{Blocked}",
            ListenerName, address, verdict.AddressFailures, verdict.AccountFailures, (long)verdict.Delay.TotalMilliseconds, verdict.AddressBlocked ? "; address now blocked" : "");
        await Task.Delay(verdict.Delay, Options.TimeProvider, cancellationToken);
        _connection.Write(outcome.Reply!);
        if (verdict.AddressBlocked || _authFailures >= Options.MaxAuthFailures)
        {
            _connection.Write(new SmtpReply(421, "4.7.0", Options.HostName + " Error: too many failed authentications"));
            return false;
        }

        return true;
    }

    private bool Reply(SmtpReply reply)
    {
        _connection.Write(reply);
        return true;
    }

    /// <summary>Answers with an error and ends the session once the client has erred too often.</summary>
    private bool Reject(SmtpReply reply)
    {
        _connection.Write(reply);
        _errors++;
        if (_errors < Options.MaxErrors)
        {
            return true;
        }

        _connection.Write(new SmtpReply(421, "4.7.0", Options.HostName + " Error: too many errors"));
        return false;
    }

    private async Task TryCloseWithAsync(SmtpReply reply)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            _connection.Write(reply);
            await _connection.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is already unusable; closing it is all that is left.
        }
    }
}
