using System.Net;
using Keypost.Mail.MtaSts;

namespace Keypost.Server.Tests.MtaSts;

/// <summary>Issue #13 item 2: `keypost serve` serves our MTA-STS policy at mta-sts.&lt;domain&gt; (RFC 8461 §3.3).</summary>
public sealed class MtaStsServingTests
{
    [Fact]
    public async Task ThePolicyIsServedAsTextPlainAtMtaStsOfEachDomainAndParsesAsSendersReadIt()
    {
        await using var server = await TestServer.StartAsync(c => c.Mail.MtaStsMode = "enforce");
        using var client = server.CreateClient();

        using var response = await client.GetAsync("https://mta-sts.jedi.test/.well-known/mta-sts.txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var publication = server.Config.MtaStsPublication();
        var policy = MtaStsPolicy.Parse(text, publication.Id);
        Assert.NotNull(policy);
        Assert.Equal(MtaStsMode.Enforce, policy.Mode);
        Assert.True(policy.AllowsMx(server.Config.Hostname));
        Assert.Equal(TimeSpan.FromSeconds(server.Config.Mail.MtaStsMaxAgeSeconds), policy.MaxAge);
    }

    [Theory]
    [InlineData("https://mta-sts.elsewhere.test/.well-known/mta-sts.txt")]
    [InlineData("https://openpgpkey.jedi.test/.well-known/mta-sts.txt")]
    [InlineData("https://jedi.test/.well-known/mta-sts.txt")]
    public async Task OtherHostsDoNotServeAPolicy(string url)
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.CreateClient();

        using var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
