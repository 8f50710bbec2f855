using System.Net;
using System.Text.Json;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;

namespace Keypost.Server.Tests.Wkd;

public sealed class WkdHttpTests : IAsyncLifetime
{
    private static readonly byte[] LukeCertificate = [0x98, 0x33, 1, 2, 3, 4];
    private TestServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _client = _server.CreateClient();
        await _server.Server.Store.PublishAsync(EmailAddress.Parse("luke@jedi.test"), "AA", LukeCertificate, revoked: false, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/hu/{0}?l=luke")]
    [InlineData("https://jedi.test/.well-known/openpgpkey/hu/{0}?l=luke")]
    [InlineData("https://OpenPGPKey.Jedi.Test/.well-known/openpgpkey/jedi.test/hu/{0}")]
    public async Task Serves_the_key_by_both_methods(string template)
    {
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, WkdHash.Compute("luke"));
        using var response = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(LukeCertificate, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    [InlineData("PATCH")]
    public async Task Other_methods_get_405_with_allow(string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), WkdUrls.Advanced(EmailAddress.Parse("luke@jedi.test")));
        request.Content = method is "POST" or "PUT" or "PATCH" ? new ByteArrayContent([1, 2, 3]) : null;
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow.OrderBy(m => m, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/./hu/{0}")]
    [InlineData("https://openpgpkey.jedi.test/.well-known/openpgpkey/./jedi.test/hu/{0}")]
    [InlineData("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/hu/{0}/")]
    [InlineData("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test//hu/{0}")]
    [InlineData("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/hu//{0}")]
    [InlineData("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/x/../hu/{0}")]
    [InlineData("https://jedi.test/.well-known/openpgpkey/hu/{0}/")]
    [InlineData("https://jedi.test/.well-known/openpgpkey/./hu/{0}")]
    [InlineData("https://jedi.test/.well-known/openpgpkey/policy/")]
    public async Task Paths_not_in_canonical_form_are_not_found(string template)
    {
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, WkdHash.Compute("luke"));
        // As sent on the wire: System.Uri would otherwise remove the dot segments before the server sees them.
        var url = new Uri(text, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var response = await _client.GetAsync(url);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Head_gives_headers_without_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, WkdUrls.Advanced(EmailAddress.Parse("luke@jedi.test")));
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(LukeCertificate.Length, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Every_miss_looks_the_same()
    {
        var unknownUser = WkdUrls.Advanced(EmailAddress.Parse("vader@jedi.test"));
        var unknownDomain = WkdUrls.Advanced(EmailAddress.Parse("luke@empire.test"));
        var wrongHostForPath = new Uri($"https://openpgpkey.jedi.test/.well-known/openpgpkey/rebel.test/hu/{WkdHash.Compute("luke")}");
        var keyOfOtherDomain = WkdUrls.Advanced(EmailAddress.Parse("luke@rebel.test"));
        var bodies = new List<string>();
        foreach (var url in new[] { unknownUser, unknownDomain, wrongHostForPath, keyOfOtherDomain })
        {
            using var response = await _client.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Single(bodies.Distinct());
        using var problem = JsonDocument.Parse(bodies[0]);
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/short")]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/IY9Q119EUTRKN8S1MK4R39QEJNBU3N5Q")]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q0")]
    public async Task Malformed_hashes_are_bad_requests(string path)
    {
        using var response = await _client.GetAsync("https://openpgpkey.jedi.test" + path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/../../../../etc/passwd")]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/%2e%2e/%2e%2e/keypost.db")]
    [InlineData("/.well-known/openpgpkey/..%2F..%2Fdata/hu/x")]
    [InlineData("/keypost.db")]
    public async Task Path_traversal_finds_nothing(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://openpgpkey.jedi.test/");
        request.RequestUri = new Uri("https://openpgpkey.jedi.test" + path, UriKind.Absolute);
        using var response = await _client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, response.StatusCode.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("root:", body, StringComparison.Ordinal);
        Assert.DoesNotContain("SQLite", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serves_policy_and_submission_address()
    {
        using var policy = await _client.GetAsync("https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/policy");
        Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        Assert.Equal("protocol-version: 18\n", await policy.Content.ReadAsStringAsync());

        using var emptyPolicy = await _client.GetAsync("https://rebel.test/.well-known/openpgpkey/policy");
        Assert.Equal(HttpStatusCode.OK, emptyPolicy.StatusCode);
        Assert.Equal("", await emptyPolicy.Content.ReadAsStringAsync());

        using var submission = await _client.GetAsync("https://jedi.test/.well-known/openpgpkey/submission-address");
        Assert.Equal("key-submission@jedi.test\n", await submission.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Revoked_keys_keep_being_served_and_replacements_win()
    {
        var luke = EmailAddress.Parse("luke@jedi.test");
        byte[] replacement = [0x98, 0x33, 9, 9];
        await _server.Server.Store.PublishAsync(luke, "BB", replacement, revoked: false, CancellationToken.None);
        Assert.Equal(replacement, await _client.GetByteArrayAsync(WkdUrls.Advanced(luke)));
        var history = await _server.Server.Store.HistoryAsync(luke, CancellationToken.None);
        Assert.Equal(["AA", "BB"], history.Select(h => h.Fingerprint));
        Assert.Equal(Keypost.Directory.Storage.CertificateState.Replaced, history[0].State);
    }
}
