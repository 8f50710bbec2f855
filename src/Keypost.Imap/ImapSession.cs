using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Imap.Diagnostics;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>One client connection: the RFC 9051 command loop, its state and the commands valid in every state.</summary>
internal sealed partial class ImapSession
{
    private readonly ImapSessionContext _context;
    private readonly ImapEndpoint _endpoint;
    private readonly ImapConnection _connection;
    private readonly ImapCommandReader _reader;
    private readonly ImapWriter _writer;
    private EmailAddress? _account;
    private IAccountMailboxes? _folders;
    private SelectedMailbox? _selected;
    private bool _rev2;
    private int _errors;
    private int _authFailures;
    private bool _done;

    public ImapSession(ImapSessionContext context, ImapEndpoint endpoint, ImapConnection connection)
    {
        _context = context;
        _endpoint = endpoint;
        _connection = connection;
        _reader = new ImapCommandReader(connection, context.Options);
        _writer = new ImapWriter(connection.Output);
    }

    private ImapListenerOptions Options => _context.Options;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            _connection.ReadTimeout = Options.PreAuthTimeout;
            if (_endpoint.TlsMode == ImapTlsMode.Implicit)
            {
                await _connection.UpgradeToTlsAsync(Options.CurrentCertificate, cancellationToken);
            }

            // RFC 9051 §7.1.1: the greeting may carry the capabilities, saving a round trip. No version is revealed.
            _connection.WriteLine("* OK [CAPABILITY " + Capabilities() + "] Keypost IMAP ready");
            while (!_done)
            {
                var command = await _reader.ReadAsync(cancellationToken);
                if (command is null)
                {
                    break;
                }

                await HandleAsync(command, cancellationToken);
                await _connection.FlushAsync(cancellationToken);
            }

            await _connection.FlushAsync(cancellationToken);
        }
        catch (ImapLineTooLongException)
        {
            await TryCloseWithAsync("* BAD Command line too long", "* BYE Closing connection");
        }
        catch (TimeoutException)
        {
            // RFC 9051 §5.4: the autologout timer.
            await TryCloseWithAsync("* BYE Autologout; idle for too long");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await TryCloseWithAsync("* BYE Server shutting down");
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or ObjectDisposedException)
        {
            // The client went away or failed the TLS handshake: nothing to answer.
            _context.Logger.LogDebug(ImapLogEvents.ImapSessionError, e, "IMAP session from {Peer} ended: {Error}", _connection.RemoteAddress, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failing dependency (accounts store, disk) must not leave the client hanging.
            _context.Logger.LogError(ImapLogEvents.ImapSessionError, e, "IMAP session from {Peer} failed; closing with BYE", _connection.RemoteAddress);
            await TryCloseWithAsync("* BYE Internal error, try again later");
        }
        finally
        {
            if (_account is not null)
            {
                _context.Sessions.Leave(_account);
            }
        }
    }

    private async Task TryCloseWithAsync(params string[] lines)
    {
        try
        {
            _connection.Output.SetLength(0);
            foreach (var line in lines)
            {
                _connection.WriteLine(line);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _connection.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // Closing anyway.
        }
    }

    private string Capabilities()
    {
        var caps = new StringBuilder("IMAP4rev1 IMAP4rev2 LITERAL+ ID ENABLE NAMESPACE IDLE MOVE UIDPLUS UNSELECT SPECIAL-USE CHILDREN SASL-IR BINARY");
        caps.Append(" APPENDLIMIT=").Append(Options.MaxMessageSize);
        if (!_connection.IsSecure)
        {
            // RFC 9051 §6.2.3 and RFC 8314: no password travels in plaintext.
            caps.Append(" STARTTLS LOGINDISABLED");
        }
        else if (_account is null)
        {
            caps.Append(" AUTH=PLAIN");
        }

        return caps.ToString();
    }

    private async Task HandleAsync(ImapRawCommand command, CancellationToken cancellationToken)
    {
        if (command.Refusal is not null)
        {
            if (command.Fatal)
            {
                _connection.WriteLine(command.Tag + " BAD " + command.Refusal);
                _connection.WriteLine("* BYE Literal too large");
                _done = true;
                return;
            }

            _connection.WriteLine(command.Tag + " NO " + command.Refusal);
            CountError();
            return;
        }

        var t = new ImapTokenizer(command.Parts);
        string? tag = null;
        string name;
        try
        {
            var word = t.Atom();
            if (!ImapTokenizer.IsValidTag(word))
            {
                throw new ImapParseException("bad tag");
            }

            tag = word;
            t.Space();
            name = t.Atom().ToUpperInvariant();
        }
        catch (ImapParseException)
        {
            // RFC 9051 §7.1.3: BAD is tagged whenever the tag could be read, or the client waits for it forever.
            _connection.WriteLine((tag ?? "*") + " BAD Malformed command");
            CountError();
            return;
        }

        // What this command wrote is dropped when it fails, so a half-written response never reaches the client.
        var mark = _connection.Output.Length;
        var flushed = _connection.Flushed;
        string result;
        try
        {
            result = await DispatchAsync(tag, name, t, cancellationToken);
        }
        catch (ImapParseException e)
        {
            result = "BAD " + PrintableAscii(e.Message);
        }
        catch (DirectoryNotFoundException) when (_selected is not null)
        {
            // RFC 9051 §6.3.4: when another session deletes the selected mailbox the server may end the session.
            _connection.WriteLine("* BYE The selected mailbox was deleted");
            _done = true;
            return;
        }
        catch (Exception e) when (!IsConnectionFailure(e, cancellationToken))
        {
            // One failing command must not end the session, let alone the process: RFC 5530 SERVERBUG says the
            // fault is ours, and the client may go on with other commands.
            _context.Logger.LogError(e, "IMAP command {Command} failed", name);
            if (_connection.Flushed != flushed)
            {
                // Part of the answer went out already (a long FETCH flushes between responses, never inside one):
                // what is sent stays, whole responses; what is buffered since may be half a response.
                _connection.Output.SetLength(0);
            }
            else if (_connection.Output.Length >= mark)
            {
                _connection.Output.SetLength(mark);
            }

            result = "NO [SERVERBUG] Internal error in this command";
        }

        if (result.Length > 0)
        {
            _connection.WriteLine(tag + " " + result);
        }

        if (result.StartsWith("BAD", StringComparison.Ordinal))
        {
            CountError();
        }
    }

    // RFC 9051 §9: resp-text is TEXT-CHARs on one line. Parse errors may quote the client's own words, which can
    // come from a literal holding CR LF: quoted as they are, they would forge response lines.
    private static string PrintableAscii(string text) =>
        string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is >= ' ' and < '\u007f' ? source[i] : '?';
            }
        });

    /// <summary>Failures that mean the connection itself is gone or the server stops: these end the session.</summary>
    private static bool IsConnectionFailure(Exception e, CancellationToken cancellationToken) =>
        e is IOException or SocketException or AuthenticationException or ObjectDisposedException or TimeoutException
            or ImapLineTooLongException
        || (e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private void CountError()
    {
        if (++_errors >= Options.MaxErrors)
        {
            _connection.WriteLine("* BYE Too many errors");
            _done = true;
        }
    }

    private async Task<string> DispatchAsync(string tag, string name, ImapTokenizer t, CancellationToken cancellationToken)
    {
        switch (name)
        {
            case "CAPABILITY":
                t.ExpectEnd();
                _connection.WriteLine("* CAPABILITY " + Capabilities());
                return "OK CAPABILITY completed";
            case "NOOP":
            case "CHECK":
                t.ExpectEnd();
                await SyncAsync(allowExpunge: true, cancellationToken);
                return "OK " + name + " completed";
            case "LOGOUT":
                t.ExpectEnd();
                _connection.WriteLine("* BYE Logging out");
                _done = true;
                return "OK LOGOUT completed";
            case "ID":
                // RFC 2971: nothing about the software is revealed.
                t.Space();
                _connection.WriteLine("* ID (\"name\" \"Keypost\")");
                return "OK ID completed";
        }

        if (_account is null)
        {
            switch (name)
            {
                case "STARTTLS":
                    return await StartTlsAsync(tag, t, cancellationToken);
                case "LOGIN":
                    return await LoginAsync(t, cancellationToken);
                case "AUTHENTICATE":
                    return await AuthenticateAsync(t, cancellationToken);
                default:
                    return "BAD Log in first";
            }
        }

        var authenticated = await AuthenticatedCommandAsync(tag, name, t, cancellationToken);
        if (authenticated is not null)
        {
            return authenticated;
        }

        if (_selected is null)
        {
            return "BAD Unknown command or no mailbox selected";
        }

        return await SelectedCommandAsync(tag, name, t, cancellationToken);
    }
}
