using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Testing;
using Microsoft.AspNetCore.Http;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// WKD answers a sender must not trust or cannot use, from a real HTTPS server: each ends in a clear error (or a
/// plain "no key"), never in a half-read key or a crash.
/// </summary>
public sealed class WkdRefusalTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@" + RogueWkdServer.Domain);

    [Fact]
    public async Task A_ten_megabyte_answer_is_cut_off_at_256_KiB()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var server = await RogueWkdServer.StartAsync(
            async context =>
            {
                context.Response.ContentType = "application/octet-stream";
                var chunk = new byte[64 * 1024];
                Array.Fill(chunk, (byte)0x99);
                for (var sent = 0; sent < 10 * 1024 * 1024; sent += chunk.Length)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            },
            timeout.Token);
        using var http = server.CreateHttpClient();

        var error = await Assert.ThrowsAsync<WkdException>(() => new WkdClient(http).LookupAsync(Luke, timeout.Token));
        Assert.Contains("more than 256 KiB", error.Message, StringComparison.Ordinal);
        Assert.Contains("openpgpkey.evil.test", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_for_another_address_is_refused()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var vader = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("vader@empire.test")));
        await using var server = await RogueWkdServer.StartAsync(
            context => context.Response.Body.WriteAsync(vader.Certificate.ToBinary(), context.RequestAborted).AsTask(),
            timeout.Token);
        using var http = server.CreateHttpClient();

        var error = await Assert.ThrowsAsync<OpenPgpException>(() => new WkdClient(http).LookupAsync(Luke, timeout.Token));
        Assert.Equal(OpenPgpError.NoUserIdForAddress, error.Error);
        Assert.Contains(Luke.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_to_plain_http_is_not_followed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var server = await RogueWkdServer.StartAsync(
            context =>
            {
                context.Response.Redirect("http://" + RogueWkdServer.Domain + context.Request.Path + context.Request.QueryString);
                return Task.CompletedTask;
            },
            timeout.Token);
        using var http = server.CreateHttpClient();

        var error = await Assert.ThrowsAsync<WkdException>(() => new WkdClient(http).LookupAsync(Luke, timeout.Token));
        Assert.Contains("302", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_domain_without_WKD_in_DNS_means_no_key_not_a_crash()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var pins = new TempDirectory("keypost-pins");
        await using var server = await RogueWkdServer.StartAsync(_ => throw new InvalidOperationException("no request expected"), timeout.Token);
        using var http = server.CreateHttpClient();
        var yoda = EmailAddress.Parse("yoda@dagobah.test");

        // Neither openpgpkey.dagobah.test nor dagobah.test exists: advanced, then direct, both NXDOMAIN.
        var found = await new KeyDiscovery(new WkdClient(http), new PinStore(pins.Combine("pins.db"), TimeProvider.System)).DiscoverAsync(yoda, timeout.Token);

        Assert.False(found.Usable);
        Assert.Null(found.Certificate);
        Assert.Equal(WkdMethod.Direct, found.Lookup.Method);
        Assert.Contains("no key", found.Explanation, StringComparison.Ordinal);
        Assert.Equal(0, server.Requests);
    }
}
