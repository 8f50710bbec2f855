using System.Net;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;

namespace Keypost.Server.Tests.Wkd;

public sealed class RateLimitTests
{
    [Fact]
    public async Task A_client_over_its_budget_gets_429_with_retry_after()
    {
        await using var server = await TestServer.StartAsync(c => c.RateLimit = new() { RequestsPerMinute = 60, Burst = 5 });
        using var client = server.CreateClient();
        var url = WkdUrls.Advanced(EmailAddress.Parse("nobody@jedi.test"));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 20 && limited is null; i++)
        {
            var response = await client.GetAsync(url);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.Contains(HttpStatusCode.NotFound, statuses);
        Assert.True(limited!.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        limited.Dispose();
    }

    [Fact]
    public async Task Key_lookups_and_routed_endpoints_draw_on_one_budget_per_client()
    {
        // Key lookups are answered before routing, the policy file after it: both must spend the same bucket, or
        // a harvester would get a second budget by alternating them.
        await using var server = await TestServer.StartAsync(c => c.RateLimit = new() { RequestsPerMinute = 60, Burst = 3 });
        using var client = server.CreateClient();
        var lookup = WkdUrls.Advanced(EmailAddress.Parse("nobody@jedi.test"));
        var spent = false;
        for (var i = 0; i < 50 && !spent; i++)
        {
            using var response = await client.GetAsync(lookup);
            spent = response.StatusCode == HttpStatusCode.TooManyRequests;
        }

        Assert.True(spent);

        // A budget of its own would answer all three. The shared bucket gains one token a second, so only a machine
        // taking over a second per request would let all three through.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var policy = await client.GetAsync("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/policy");
            statuses.Add(policy.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }
}
