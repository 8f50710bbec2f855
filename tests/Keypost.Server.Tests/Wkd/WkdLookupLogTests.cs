using Keypost.Core.Addresses;
using Keypost.Core.Wkd;
using Keypost.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Keypost.Server.Tests.Wkd;

/// <summary>
/// One Debug line per WKD lookup: domain, hash and status; the local part in "?l=" never appears. At Information
/// (the default) lookups are counted by the metric only (docs/operations.md, "Logging").
/// </summary>
public sealed class WkdLookupLogTests
{
    [Fact]
    public async Task A_lookup_is_logged_by_hash_and_status_without_the_address()
    {
        await using var server = await TestServer.StartAsync(settings: new KeypostServerSettings
        {
            EmbeddedLogLevel = LogLevel.Debug,
            ConfigureLogging = logging => logging.AddFakeLogging(),
        });
        await server.Server.Store.PublishAsync(EmailAddress.Parse("luke@jedi.test"), "AA", [0x98, 0x33, 1, 2], revoked: false, CancellationToken.None);
        using var client = server.CreateClient();
        var hash = WkdHash.Compute("luke");
        using var found = await client.GetAsync(new Uri($"https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/hu/{hash}?l=luke"));
        using var missing = await client.GetAsync(new Uri($"https://jedi.test/.well-known/openpgpkey/hu/{WkdHash.Compute("vader")}?l=vader"));

        // The line is written when the handler returns, which may be just after the client has the response.
        var collector = server.Server.Services.GetFakeLogCollector();
        List<FakeLogRecord> lines;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((lines = collector.GetSnapshot().Where(r => r.Category == "Keypost.Directory.Wkd").ToList()).Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, lines.Count);
        Assert.All(lines, r => Assert.Equal(LogLevel.Debug, r.Level));
        // Each line is written after its response, so the two may come in either order.
        var advanced = Assert.Single(lines, r => r.GetStructuredStateValue("Method") == "advanced");
        Assert.Equal("WKD advanced lookup jedi.test " + hash + ": 200", advanced.Message[..advanced.Message.IndexOf(" in ", StringComparison.Ordinal)]);
        var direct = Assert.Single(lines, r => r.GetStructuredStateValue("Method") == "direct");
        Assert.Equal("404", direct.GetStructuredStateValue("Status"));
        Assert.DoesNotContain(lines, r => r.Message.Contains("luke", StringComparison.Ordinal) || r.Message.Contains("vader", StringComparison.Ordinal));
    }

    [Fact]
    public async Task At_information_a_lookup_writes_no_line()
    {
        await using var server = await TestServer.StartAsync(settings: new KeypostServerSettings
        {
            EmbeddedLogLevel = LogLevel.Information,
            ConfigureLogging = logging => logging.AddFakeLogging(),
        });
        await server.Server.Store.PublishAsync(EmailAddress.Parse("luke@jedi.test"), "AA", [0x98, 0x33, 1, 2], revoked: false, CancellationToken.None);
        using var client = server.CreateClient();
        using (var found = await client.GetAsync(new Uri($"https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/hu/{WkdHash.Compute("luke")}?l=luke")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, found.StatusCode);
        }

        // The line is written after the response: a later request on the same connection starts after it would have.
        using (var again = await client.GetAsync(new Uri($"https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/hu/{WkdHash.Compute("luke")}")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, again.StatusCode);
        }

        Assert.DoesNotContain(server.Server.Services.GetFakeLogCollector().GetSnapshot(), r => r.Category == "Keypost.Directory.Wkd");
    }
}
