using System.Net;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Tests.Discovery;

/// <summary>The cache is pure logic: a counting handler stands in for the directory.</summary>
public sealed class WkdClientCacheTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [Fact]
    public async Task Answers_are_reused_until_they_expire_and_failures_are_not_cached()
    {
        var certificate = new KeyGenerator().Generate(new KeyGenerationRequest(Luke)).Certificate.ToBinary();
        var handler = new CountingHandler(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(certificate) });
        var clock = new SteppingClock();
        var client = new WkdClient(new HttpClient(handler), clock, TimeSpan.FromMinutes(10));

        var first = await client.LookupAsync(Luke, CancellationToken.None);
        var second = await client.LookupAsync(EmailAddress.Parse("LUKE@jedi.test"), CancellationToken.None);
        Assert.Same(first, second);
        Assert.Equal(1, handler.Requests);

        clock.Advance(TimeSpan.FromMinutes(11));
        await client.LookupAsync(Luke, CancellationToken.None);
        Assert.Equal(2, handler.Requests);

        handler.Respond = () => new HttpResponseMessage(HttpStatusCode.InternalServerError);
        var failing = new WkdClient(new HttpClient(handler), clock, TimeSpan.FromMinutes(10));
        await Assert.ThrowsAsync<WkdException>(() => failing.LookupAsync(Luke, CancellationToken.None));
        await Assert.ThrowsAsync<WkdException>(() => failing.LookupAsync(Luke, CancellationToken.None));
        Assert.Equal(4, handler.Requests);
    }

    private sealed class CountingHandler(Func<HttpResponseMessage> respond) : HttpMessageHandler
    {
        public Func<HttpResponseMessage> Respond { get; set; } = respond;

        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            var response = Respond();
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }

    private sealed class SteppingClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
