using System.Net;
using Keypost.Fuzz.Support;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dmarc;
using MimeKit;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// What inbound DATA goes through after the 354 (as MailIntake does it): MIME parse, DKIM, SPF and DMARC
/// evaluation over fixed DNS, the Authentication-Results stamp and the re-serialised message. A FormatException
/// from the parse is the intended refusal (554 5.6.0); anything else escaping is a finding.
/// </summary>
internal sealed class DataIntakeTarget
{
    private readonly InboundAuthenticator _authenticator;

    public DataIntakeTarget()
    {
        var dns = new FixedDns
        {
            Txt = name => name switch
            {
                "rebel.test" => ["v=spf1 ip4:127.0.0.0/8 include:_spf.rebel.test -all"],
                "_spf.rebel.test" => ["v=spf1 a mx ptr exists:%{i}._spf.%{d} ?all"],
                "_dmarc.rebel.test" => ["v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50"],
                _ when name.EndsWith("._domainkey.rebel.test", StringComparison.Ordinal) =>
                    ["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
                _ => [],
            },
        };
        _authenticator = new InboundAuthenticator(dns, "mx.fuzz.test", () => 0);
    }

    public void Run(byte[] input)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(ParserOptions.Default, new MemoryStream(input, writable: false), persistent: true);
        }
        catch (FormatException)
        {
            return;
        }

        var result = _authenticator.AuthenticateAsync(message, IPAddress.Loopback, "client.rebel.test", "leia@rebel.test", CancellationToken.None)
            .GetAwaiter().GetResult();
        AuthorDomain.Find(message, out _);
        message.Headers.RemoveAll("X-Keypost-Folder");
        _authenticator.Stamp(message, result);
        using var output = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
    }
}
