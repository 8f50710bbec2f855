using System.Net;
using Keypost.LocalServe;
using Keypost.Mail.Dns;
using Keypost.Testing;

namespace Keypost.Mail.Tests.Dns;

public sealed class MailDnsResolverTests : IDisposable
{
    private readonly LoopbackDnsServer server = new();

    public void Dispose() => server.Dispose();

    // A loaded CI machine can take more than half a second to answer the first question (JIT, thread pool), and a
    // timeout reads as TemporaryFailure; only the test that wants a timeout gets a short one.
    private MailDnsResolver Resolver(IPEndPoint? at = null, TimeSpan? timeout = null) => new(new MailDnsResolverOptions
    {
        NameServers = [at ?? server.EndPoint],
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
        Retries = 0,
        UseCache = false,
    });

    [Fact]
    public async Task MxRecordsComeSortedByPreference()
    {
        server.Mx("jedi.test", 20, "backup.jedi.test").Mx("jedi.test", 5, "MX1.jedi.test");

        var result = await Resolver().GetMxAsync("jedi.test", CancellationToken.None);

        Assert.Equal(DnsStatus.Ok, result.Status);
        Assert.Equal([new MxHost(5, "mx1.jedi.test"), new MxHost(20, "backup.jedi.test")], result.Records);
    }

    [Fact]
    public async Task NullMxIsRecognised()
    {
        server.NullMx("nomail.test");

        var result = await Resolver().GetMxAsync("nomail.test", CancellationToken.None);

        Assert.True(Assert.Single(result.Records).IsNullMx);
    }

    [Fact]
    public async Task StatusesAreDistinguished()
    {
        server.Exists("empty.test").ServFail("broken.test");
        var resolver = Resolver();

        Assert.Equal(DnsStatus.NoData, (await resolver.GetMxAsync("empty.test", CancellationToken.None)).Status);
        Assert.Equal(DnsStatus.NxDomain, (await resolver.GetMxAsync("missing.test", CancellationToken.None)).Status);
        var failed = await resolver.GetMxAsync("broken.test", CancellationToken.None);
        Assert.Equal(DnsStatus.TemporaryFailure, failed.Status);
        Assert.NotNull(failed.Error);
    }

    [Fact]
    public async Task NoAnswerIsATemporaryFailure()
    {
        // A UDP port where nothing listens: the question times out or is refused.
        var silent = new IPEndPoint(IPAddress.Loopback, FreePort.Get());

        var result = await Resolver(silent, TimeSpan.FromMilliseconds(500)).GetTxtAsync("jedi.test", CancellationToken.None);

        Assert.Equal(DnsStatus.TemporaryFailure, result.Status);
    }

    [Fact]
    public async Task AddressesIncludeBothFamilies()
    {
        server.A("mx.jedi.test", "192.0.2.1").Aaaa("mx.jedi.test", "2001:db8::1");

        var result = await Resolver().GetAddressesAsync("mx.jedi.test", CancellationToken.None);

        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], result.Records);
    }

    [Fact]
    public async Task TxtStringsOfOneRecordAreJoined()
    {
        server.Txt("jedi.test", "v=spf1 ", "-all").Txt("jedi.test", "other");

        var result = await Resolver().GetTxtAsync("jedi.test", CancellationToken.None);

        Assert.Equal(["other", "v=spf1 -all"], result.Records.Order(StringComparer.Ordinal));
    }
}
