using System.Net;
using Keypost.LocalServe;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Dns;
using Keypost.Mail.Spf;
using Keypost.Mail.Tests.Dkim;

namespace Keypost.Mail.Tests.Dns;

/// <summary>SPF, DKIM and DMARC together over real DNS: DnsClient asking the loopback server over UDP/TCP.</summary>
public sealed class LoopbackAuthenticationTests(DkimFixture fixture) : IClassFixture<DkimFixture>, IDisposable
{
    private readonly LoopbackDnsServer server = new();

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Signed_mail_from_the_published_ip_passes_spf_dkim_and_dmarc_through_real_dns()
    {
        var ct = CancellationToken.None;
        var signed = await fixture.Signer.SignAsync(TestMessages.Stream(TestMessages.Plain), "rebel.test", ct);
        var resolver = new MailDnsResolver(new MailDnsResolverOptions
        {
            NameServers = [server.EndPoint],
            Timeout = TimeSpan.FromSeconds(10),
            Retries = 0,
            UseCache = false,
        });
        var authenticator = new InboundAuthenticator(resolver, "mx.jedi.test");

        // Published after the server started, as a test adding records on the fly would. The RSA key record is
        // longer than one 255-octet character-string, so this also proves the split and the rejoin.
        server.Txt(fixture.Keys.Ed25519.DnsName, fixture.Keys.Ed25519.TxtRecord)
            .Txt(fixture.Keys.Rsa.DnsName, fixture.Keys.Rsa.TxtRecord)
            .Txt("rebel.test", "v=spf1 ip4:127.0.0.1 -all")
            .Txt("_dmarc.rebel.test", "v=DMARC1; p=reject");

        var result = await authenticator.AuthenticateAsync(new MemoryStream(signed), IPAddress.Loopback, "mail.rebel.test", "leia@rebel.test", ct);

        Assert.Equal(["kp-ed", "kp-rsa"], result.Dkim.Select(d => d.Selector));
        Assert.All(result.Dkim, d => Assert.Equal(DkimResult.Pass, d.Result));
        Assert.Equal(SpfResult.Pass, result.Spf.Result);
        Assert.Equal(DmarcResult.Pass, result.Dmarc.Result);
        Assert.Equal(MessageDisposition.Accept, result.Disposition);
        Assert.EndsWith("; spf=pass smtp.mailfrom=\"leia@rebel.test\"; dmarc=pass header.from=rebel.test", result.HeaderValue, StringComparison.Ordinal);
        Assert.True(server.QueryCount >= 4, $"only {server.QueryCount} DNS questions reached the server");
    }
}
