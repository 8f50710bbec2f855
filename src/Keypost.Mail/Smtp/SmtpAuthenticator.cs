using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store;

namespace Keypost.Mail.Smtp;

/// <summary>The SASL exchanges of AUTH PLAIN (RFC 4616) and AUTH LOGIN, over SMTP (RFC 4954).</summary>
internal sealed class SmtpAuthenticator(SmtpConnection connection, IMailAccounts accounts)
{
    // RFC 4954 §4: an AUTH command line and each SASL response line may be up to 12288 octets.
    public const int MaxLineOctets = 12288 + 2;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public async Task<SmtpAuthOutcome> AuthenticateAsync(string mechanism, string? initialResponse, CancellationToken cancellationToken)
    {
        switch (mechanism.ToUpperInvariant())
        {
            case "PLAIN":
                {
                    var response = initialResponse is not null ? new SmtpSaslResponse(initialResponse, null) : await ChallengeAsync("", cancellationToken);
                    if (response.Reply is not null)
                    {
                        return new SmtpAuthOutcome(null, response.Reply, false);
                    }

                    // RFC 4616 §2: [authzid] NUL authcid NUL passwd.
                    var parts = response.Text!.Split('\0');
                    if (parts.Length != 3 || parts[1].Length == 0 || (parts[0].Length > 0 && parts[0] != parts[1]))
                    {
                        return new SmtpAuthOutcome(null, new SmtpReply(535, "5.7.8", "Authentication credentials invalid"), true);
                    }

                    return await CheckAsync(parts[1], parts[2], cancellationToken);
                }

            case "LOGIN":
                {
                    var user = initialResponse is not null ? new SmtpSaslResponse(initialResponse, null) : await ChallengeAsync("VXNlcm5hbWU6", cancellationToken);
                    if (user.Reply is not null)
                    {
                        return new SmtpAuthOutcome(null, user.Reply, false);
                    }

                    var password = await ChallengeAsync("UGFzc3dvcmQ6", cancellationToken);
                    if (password.Reply is not null)
                    {
                        return new SmtpAuthOutcome(null, password.Reply, false);
                    }

                    return await CheckAsync(user.Text!, password.Text!, cancellationToken);
                }

            default:
                return new SmtpAuthOutcome(null, new SmtpReply(504, "5.5.4", "Unrecognized authentication type"), false);
        }
    }

    /// <summary>Decodes an initial response given on the AUTH line; "=" is the empty response (RFC 4954 §4).</summary>
    public static SmtpSaslResponse Decode(string text)
    {
        if (text == "*")
        {
            return new SmtpSaslResponse(null, new SmtpReply(501, "5.7.0", "Authentication cancelled"));
        }

        if (text == "=")
        {
            return new SmtpSaslResponse("", null);
        }

        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var length))
        {
            return new SmtpSaslResponse(null, new SmtpReply(501, "5.5.2", "Cannot decode response"));
        }

        try
        {
            return new SmtpSaslResponse(StrictUtf8.GetString(bytes, 0, length), null);
        }
        catch (DecoderFallbackException)
        {
            return new SmtpSaslResponse(null, new SmtpReply(501, "5.5.2", "Credentials are not UTF-8"));
        }
    }

    private async Task<SmtpSaslResponse> ChallengeAsync(string challenge, CancellationToken cancellationToken)
    {
        connection.Write(new SmtpReply(334, null, challenge));
        var line = await connection.ReadLineAsync(MaxLineOctets, cancellationToken);
        return line.Status switch
        {
            SmtpLineStatus.Line => Decode(Encoding.ASCII.GetString(line.Bytes)),
            SmtpLineStatus.EndOfStream => throw new IOException("the client closed the connection during AUTH"),
            _ => new SmtpSaslResponse(null, new SmtpReply(500, "5.5.2", "Line too long")),
        };
    }

    private async Task<SmtpAuthOutcome> CheckAsync(string user, string password, CancellationToken cancellationToken)
    {
        var account = await accounts.AuthenticateAsync(user, password, cancellationToken);
        return account is null
            ? new SmtpAuthOutcome(null, new SmtpReply(535, "5.7.8", "Authentication credentials invalid"), true, user)
            : new SmtpAuthOutcome(account, new SmtpReply(235, "2.7.0", "Authentication successful"), false, user);
    }
}
