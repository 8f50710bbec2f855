using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Smtp;
using Keypost.Mail.Spf;
using Keypost.Mail.Tests.Dkim;
using Keypost.Mail.Tests.Support;
using MimeKit;

namespace Keypost.Mail.Tests.Authentication;

public sealed class InboundAuthenticatorTests(DkimFixture fixture) : IClassFixture<DkimFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private FakeDns RebelZone() => fixture.Dns()
        .Txt("rebel.test", "v=spf1 mx -all")
        .Mx("rebel.test", 10, "mail.rebel.test")
        .A("mail.rebel.test", "192.0.2.25")
        .Txt("_dmarc.rebel.test", "v=DMARC1; p=reject; adkim=s; aspf=s");

    private async Task<byte[]> SignedAsync() => await fixture.Signer.SignAsync(TestMessages.Stream(TestMessages.Plain), "rebel.test", Ct);

    [Fact]
    public async Task Genuine_mail_passes_everything_and_is_accepted()
    {
        var authenticator = new InboundAuthenticator(RebelZone(), "mx.jedi.test");

        var result = await authenticator.AuthenticateAsync(new MemoryStream(await SignedAsync()), IPAddress.Parse("192.0.2.25"), "mail.rebel.test", "leia@rebel.test", Ct);

        Assert.All(result.Dkim, d => Assert.Equal(DkimResult.Pass, d.Result));
        Assert.Equal(SpfResult.Pass, result.Spf.Result);
        Assert.Equal(DmarcResult.Pass, result.Dmarc.Result);
        Assert.Equal(MessageDisposition.Accept, result.Disposition);
        Assert.StartsWith("mx.jedi.test; dkim=pass header.d=rebel.test header.s=kp-ed header.b=", result.HeaderValue, StringComparison.Ordinal);
        Assert.EndsWith("; spf=pass smtp.mailfrom=\"leia@rebel.test\"; dmarc=pass header.from=rebel.test", result.HeaderValue, StringComparison.Ordinal);
        Assert.StartsWith("Authentication-Results: mx.jedi.test;\r\n\tdkim=pass", result.HeaderLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signed_mail_from_another_server_still_passes_dmarc_through_dkim()
    {
        // A forwarder: SPF fails for its address, but the aligned DKIM signature carries DMARC.
        var authenticator = new InboundAuthenticator(RebelZone(), "mx.jedi.test");

        var result = await authenticator.AuthenticateAsync(new MemoryStream(await SignedAsync()), IPAddress.Parse("203.0.113.5"), "forwarder.test", "leia@rebel.test", Ct);

        Assert.Equal(SpfResult.Fail, result.Spf.Result);
        Assert.Equal(DmarcResult.Pass, result.Dmarc.Result);
        Assert.Equal(MessageDisposition.Accept, result.Disposition);
    }

    [Fact]
    public async Task Forged_mail_is_rejected_under_p_reject()
    {
        var authenticator = new InboundAuthenticator(RebelZone(), "mx.jedi.test");

        var result = await authenticator.AuthenticateAsync(TestMessages.Stream(TestMessages.Plain), IPAddress.Parse("203.0.113.5"), "empire.test", "vader@empire.test", Ct);

        Assert.Empty(result.Dkim);
        Assert.Equal(DmarcResult.Fail, result.Dmarc.Result);
        Assert.Equal(MessageDisposition.Reject, result.Disposition);
        Assert.Contains("dkim=none; spf=none smtp.mailfrom=\"vader@empire.test\"; dmarc=fail header.from=rebel.test", result.HeaderValue, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_overload_uses_helo_when_reverse_path_is_null()
    {
        var dns = RebelZone().Txt("mail.rebel.test", "v=spf1 a -all");
        var authenticator = new InboundAuthenticator(dns, "mx.jedi.test");
        var session = new SmtpSessionInfo(SmtpListenerKind.Inbound, IPAddress.Parse("192.0.2.25"), "mail.rebel.test", true, null);
        var envelope = new SmtpEnvelope(null, [EmailAddress.Parse("luke@jedi.test")]);

        var result = await authenticator.AuthenticateAsync(session, envelope, new MemoryStream(await SignedAsync()), Ct);

        Assert.Equal(SpfIdentity.Helo, result.Spf.Identity);
        Assert.Equal(SpfResult.Pass, result.Spf.Result);
        Assert.Contains("spf=pass smtp.helo=mail.rebel.test", result.HeaderValue, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stamping_replaces_forged_results_and_keeps_signatures_valid()
    {
        var authenticator = new InboundAuthenticator(RebelZone(), "mx.jedi.test");
        var incoming = Encoding.ASCII.GetBytes("Authentication-Results: mx.jedi.test; dkim=pass header.d=empire.test\r\n")
            .Concat(await SignedAsync()).ToArray();
        var result = await authenticator.AuthenticateAsync(new MemoryStream(incoming), IPAddress.Parse("192.0.2.25"), "mail.rebel.test", "leia@rebel.test", Ct);

        var stamped = await authenticator.StampAsync(new MemoryStream(incoming), result, Ct);

        var text = Encoding.ASCII.GetString(stamped);
        var unfolded = text.Replace("\r\n\t", " ", StringComparison.Ordinal).Replace("\r\n ", " ", StringComparison.Ordinal);
        Assert.StartsWith("Authentication-Results: mx.jedi.test; dkim=pass header.d=rebel.test", unfolded, StringComparison.Ordinal);
        Assert.DoesNotContain("empire.test", text, StringComparison.Ordinal);
        var again = await new DkimMessageVerifier(RebelZone()).VerifyAsync(await MimeMessage.LoadAsync(new MemoryStream(stamped)), Ct);
        Assert.All(again, d => Assert.Equal(DkimResult.Pass, d.Result));
    }
}
