using System.Net;
using System.Text.Json;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;

namespace Keypost.Server.Tests.Wkd;

/// <summary>
/// Issue #14: WKD answers come from memory, and a change made through the server is served at the very next
/// request over HTTPS (the cache's lifetime is an hour here, so only the invalidation can explain it).
/// </summary>
public sealed class WkdCacheHttpTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private TestServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(config => config.Http.WkdCacheSeconds = 3600);
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Publish_rotate_revoke_and_remove_are_each_served_at_the_next_request()
    {
        await PublishAsync([0x98, 1], revoked: false);
        Assert.Equal([0x98, 1], await GetAsync(Luke));
        Assert.Equal([0x98, 1], await GetAsync(Luke));

        await PublishAsync([0x98, 2, 2], revoked: false);
        Assert.Equal([0x98, 2, 2], await GetAsync(Luke));
        Assert.Equal(3, await HeadLengthAsync());

        await PublishAsync([0x98, 3, 3, 3], revoked: true);
        Assert.Equal([0x98, 3, 3, 3], await GetAsync(Luke, direct: true));
        Assert.Equal(4, await HeadLengthAsync());

        await _server.Server.Store.RemoveAccountAsync(Luke, CancellationToken.None);
        using var gone = await _client.GetAsync(WkdUrls.Advanced(Luke));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", gone.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var problem = JsonDocument.Parse(await gone.Content.ReadAsStringAsync());
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
        using var never = await _client.GetAsync(WkdUrls.Advanced(EmailAddress.Parse("vader@jedi.test")));
        Assert.Equal(await never.Content.ReadAsStringAsync(), await gone.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_held_answer_is_served_without_the_database_until_the_server_hears_of_a_change()
    {
        await PublishAsync([0x98, 1], revoked: false);
        Assert.Equal([0x98, 1], await GetAsync(Luke));

        // Behind the server's back: the held answer stays (proof that lookups come from memory)...
        await _server.Server.Store.Database.ExecuteAsync("UPDATE certificates SET data = $1 WHERE address = $2 AND state = 'current'", CancellationToken.None, new byte[] { 0x98, 7 }, Luke.Canonical);
        Assert.Equal([0x98, 1], await GetAsync(Luke));

        // ...until the store is told, as the cache lifetime would for another node.
        _server.Server.Store.NoteCertificatesChanged();
        Assert.Equal([0x98, 7], await GetAsync(Luke));
    }

    private Task PublishAsync(byte[] data, bool revoked) =>
        _server.Server.Store.PublishAsync(Luke, "AA", data, revoked, CancellationToken.None);

    private async Task<byte[]> GetAsync(EmailAddress address, bool direct = false)
    {
        using var response = await _client.GetAsync(direct ? WkdUrls.Direct(address) : WkdUrls.Advanced(address));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        return await response.Content.ReadAsByteArrayAsync();
    }

    private async Task<long?> HeadLengthAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, WkdUrls.Advanced(Luke));
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        return response.Content.Headers.ContentLength;
    }
}
