using System.Text;
using Keypost.Imap.Diagnostics;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>Not-authenticated state: STARTTLS, LOGIN, AUTHENTICATE PLAIN (RFC 9051 §6.2).</summary>
internal sealed partial class ImapSession
{
    private async Task<string> StartTlsAsync(string tag, ImapTokenizer t, CancellationToken cancellationToken)
    {
        t.ExpectEnd();
        if (_connection.IsSecure)
        {
            return "BAD TLS is already active";
        }

        _connection.WriteLine(tag + " OK Begin TLS negotiation now");
        await _connection.UpgradeToTlsAsync(Options.CurrentCertificate, cancellationToken);
        return "";
    }

    private async Task<string> LoginAsync(ImapTokenizer t, CancellationToken cancellationToken)
    {
        t.Space();
        var user = t.AString();
        t.Space();
        var password = t.AString();
        t.ExpectEnd();
        return await CheckPasswordAsync(user, password, cancellationToken);
    }

    // RFC 4616 (PLAIN) with RFC 4959 (SASL-IR): the initial response may come on the command line.
    private async Task<string> AuthenticateAsync(ImapTokenizer t, CancellationToken cancellationToken)
    {
        t.Space();
        var mechanism = t.Atom().ToUpperInvariant();
        string? response = null;
        if (t.TrySpace())
        {
            response = t.Take(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=', "a base64 response");
        }

        t.ExpectEnd();
        if (mechanism != "PLAIN")
        {
            return "NO Unsupported authentication mechanism";
        }

        if (!_connection.IsSecure)
        {
            return "NO [PRIVACYREQUIRED] Use STARTTLS first";
        }

        if (response is null)
        {
            _connection.WriteLine("+ ");
            var line = await _connection.ReadLineAsync(8 * 1024, cancellationToken);
            if (line is null)
            {
                _done = true;
                return "";
            }

            response = Encoding.ASCII.GetString(line);
            if (response == "*")
            {
                return "BAD Authentication cancelled";
            }
        }

        string[] fields;
        try
        {
            fields = Encoding.UTF8.GetString(Convert.FromBase64String(response == "=" ? "" : response)).Split('\0');
        }
        catch (FormatException)
        {
            return "BAD Invalid base64";
        }

        if (fields.Length != 3 || (fields[0].Length > 0 && fields[0] != fields[1]))
        {
            return "NO [AUTHENTICATIONFAILED] Invalid credentials";
        }

        return await CheckPasswordAsync(fields[1], fields[2], cancellationToken);
    }

    private async Task<string> CheckPasswordAsync(string user, string password, CancellationToken cancellationToken)
    {
        if (!_connection.IsSecure)
        {
            // RFC 9051 §6.2.3: LOGINDISABLED was advertised; RFC 5530 PRIVACYREQUIRED says why.
            CountError();
            return "NO [PRIVACYREQUIRED] Use STARTTLS first";
        }

        // RFC 5530 §3 UNAVAILABLE: a temporary refusal; a blocked address costs no password hash.
        var address = _connection.RemoteAddress.IsIPv4MappedToIPv6 ? _connection.RemoteAddress.MapToIPv4() : _connection.RemoteAddress;
        if (await _context.LoginThrottle.BlockedForAsync(address, cancellationToken) is not null)
        {
            Options.Metrics?.LoginRefused();
            _connection.WriteLine("* BYE Too many failed logins from your address, try again later");
            _done = true;
            return "NO [UNAVAILABLE] Too many failed logins from your address, try again later";
        }

        var account = await _context.Accounts.AuthenticateAsync(user, password, cancellationToken);
        _context.Options.Metrics?.ImapLogin(account is not null);
        if (account is null)
        {
            var verdict = await _context.LoginThrottle.RecordFailureAsync(address, user, cancellationToken);
            Options.Metrics?.LoginFailure(verdict.AddressBlocked);
            // The name tried is at Debug only: a mistyped password line can hold a password.
            _context.Logger.LogInformation(
                ImapLogEvents.ImapAuthFailed,
                "IMAP login from {Peer}: failed; {AddressFailures} failures from this address, {AccountFailures} for this user; answering after {DelayMs} ms{Blocked}",
                address, verdict.AddressFailures, verdict.AccountFailures, (long)verdict.Delay.TotalMilliseconds, verdict.AddressBlocked ? "; address now blocked" : "");
            _context.Logger.LogDebug(ImapLogEvents.ImapLogin, "IMAP login from {Peer} failed for {User}", _connection.RemoteAddress, user);
            await Task.Delay(verdict.Delay, Options.TimeProvider, cancellationToken);
            if (verdict.AddressBlocked || ++_authFailures >= Options.MaxAuthFailures)
            {
                _connection.WriteLine("* BYE Too many failed logins");
                _done = true;
            }

            return "NO [AUTHENTICATIONFAILED] Invalid credentials";
        }

        _context.LoginThrottle.RecordSuccess(user);
        if (!_context.Sessions.TryEnter(account))
        {
            // RFC 5530 §3: LIMIT, a resource the account has used up.
            return "NO [LIMIT] Too many connections for this account";
        }

        _context.Logger.LogInformation(ImapLogEvents.ImapLogin, "IMAP login from {Peer}: {Account}", _connection.RemoteAddress, account);
        _account = account;
        _folders = _context.Store.OpenAccount(account);
        foreach (var folder in Options.SpecialUseFolders.Keys)
        {
            if (!_folders.Exists(folder))
            {
                _folders.Create(folder);
            }
        }

        _connection.ReadTimeout = Options.CommandTimeout;
        _reader.MaxLiteralOctets = Options.MaxMessageSize;
        return "OK [CAPABILITY " + Capabilities() + "] Logged in";
    }
}
