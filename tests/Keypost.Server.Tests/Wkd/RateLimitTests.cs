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
}
