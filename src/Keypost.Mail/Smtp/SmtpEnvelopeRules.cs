using System.Globalization;
using Keypost.Core.Addresses;

namespace Keypost.Mail.Smtp;

/// <summary>
/// Who may send what to whom on one kind of listener: inbound takes mail only for our own accounts, and
/// submission only from an authenticated account in its own name. Nobody else is ever relayed for.
/// </summary>
internal sealed class SmtpEnvelopeRules(SmtpSessionContext context, SmtpListenerKind kind)
{
    public (SmtpTransaction? Transaction, SmtpReply Reply) CheckSender(string argument, bool extended, EmailAddress? account, bool secure)
    {
        var path = SmtpPathParser.Parse(argument, "FROM:", allowNull: true);
        switch (path.Status)
        {
            case SmtpPathStatus.SyntaxError:
                return (null, new SmtpReply(501, "5.5.4", "Syntax: MAIL FROM:<address>"));
            case SmtpPathStatus.BadAddress:
            case SmtpPathStatus.AddressLiteral:
                return (null, new SmtpReply(553, "5.1.7", "Sender address rejected: " + Describe(path.Error)));
        }

        var smtpUtf8 = false;
        var eightBit = false;
        var requireTls = false;
        foreach (var (key, value) in path.Parameters)
        {
            if (key == "REQUIRETLS" && extended && !secure)
            {
                // RFC 8689 §4.1 (and RFC 3463 X.7.10, encryption needed): REQUIRETLS is taken only over TLS.
                return (null, new SmtpReply(530, "5.7.10", "REQUIRETLS needed: the session is not protected by TLS"));
            }

            // RFC 5321 §4.1.1.2: parameters exist only for extensions announced by EHLO.
            var error = !extended ? "parameters need EHLO" : key switch
            {
                "SIZE" => CheckSize(value),
                "BODY" => value?.ToUpperInvariant() is "7BIT" or "8BITMIME" ? null : "BODY must be 7BIT or 8BITMIME",
                "SMTPUTF8" => value is null ? null : "SMTPUTF8 takes no value",
                "REQUIRETLS" => value is null ? null : "REQUIRETLS takes no value",
                _ => "unsupported parameter " + key,
            };
            if (error == "size")
            {
                // RFC 1870 §6.2.
                return (null, new SmtpReply(552, "5.3.4", "Message size exceeds fixed maximum message size"));
            }

            if (error is not null)
            {
                return (null, new SmtpReply(555, "5.5.4", Describe(error)));
            }

            smtpUtf8 |= key == "SMTPUTF8";
            requireTls |= key == "REQUIRETLS";
            eightBit |= key == "BODY" && value!.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase);
        }

        if (path.IsNonAscii && !smtpUtf8)
        {
            // RFC 6531 §3.5.
            return (null, new SmtpReply(553, "5.6.7", "Non-ASCII address without SMTPUTF8"));
        }

        if (kind == SmtpListenerKind.Submission)
        {
            if (path.Address is null || path.Address.Canonical != account!.Canonical)
            {
                return (null, new SmtpReply(553, "5.7.1", "Sender address rejected: not owned by " + account!.Canonical));
            }

            if (!context.RateLimiter.IsAllowed(account.Canonical))
            {
                return (null, new SmtpReply(450, "4.7.1", "Error: too many messages, try again later"));
            }
        }

        return (new SmtpTransaction(path.Address, smtpUtf8, eightBit, requireTls), new SmtpReply(250, "2.1.0", "Ok"));
    }

    public async Task<SmtpReply> CheckRecipientAsync(string argument, SmtpTransaction transaction, CancellationToken cancellationToken)
    {
        if (transaction.RecipientCount >= context.Options.MaxRecipients)
        {
            return new SmtpReply(452, "4.5.3", "Error: too many recipients");
        }

        var path = SmtpPathParser.Parse(argument, "TO:", allowNull: false);
        switch (path.Status)
        {
            case SmtpPathStatus.SyntaxError:
                return new SmtpReply(501, "5.5.4", "Syntax: RCPT TO:<address>");
            case SmtpPathStatus.BadAddress:
                return new SmtpReply(501, "5.1.3", "Bad recipient address syntax: " + Describe(path.Error));
            case SmtpPathStatus.AddressLiteral:
                return kind == SmtpListenerKind.Inbound
                    ? new SmtpReply(550, "5.7.1", "Relaying denied")
                    : new SmtpReply(501, "5.1.3", "Address literals are not accepted");
        }

        if (path.Parameters.Count > 0)
        {
            return new SmtpReply(555, "5.5.4", "Unsupported RCPT parameter");
        }

        if (path.IsNonAscii && !transaction.SmtpUtf8)
        {
            return new SmtpReply(553, "5.6.7", "Non-ASCII address without SMTPUTF8");
        }

        var address = path.Address!;
        if (kind == SmtpListenerKind.Inbound)
        {
            if (!await context.Accounts.IsHostedDomainAsync(address.Domain, cancellationToken))
            {
                return new SmtpReply(550, "5.7.1", "Relaying denied");
            }

            if (!await context.Accounts.AccountExistsAsync(address, cancellationToken))
            {
                return new SmtpReply(550, "5.1.1", "Recipient address rejected: user unknown");
            }
        }

        transaction.AddRecipient(address);
        return new SmtpReply(250, "2.1.5", "Ok");
    }

    private string? CheckSize(string? value) =>
        value is null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            ? "SIZE needs a number"
            : size > context.Options.MaxMessageSize ? "size" : null;

    // Errors may quote what the client sent: keep replies printable and short.
    private static string Describe(string? error) => Core.Text.DisplayText.Escape(error ?? "invalid", 200);
}
