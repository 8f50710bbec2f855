using System.Net;
using Keypost.LocalServe;
using Keypost.Mail.Dns;
using Keypost.Mail.MtaSts;
using Keypost.Testing;
using Keypost.Testing.Mail;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Mail.Tests.Delivery;

/// <summary>
/// Issue #13, RFC 8461 §5.1: a fetched MTA-STS policy is kept in a SQLite file and survives a restart until its
/// max_age, so an attacker who strips the TXT record and blocks the policy host after the restart cannot turn
/// enforcement off; past max_age it is gone.
/// </summary>
public sealed class MtaStsCacheTests
{
    private const string Policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n";

    [Fact]
    public async Task A_cached_policy_survives_a_restart_until_max_age_even_with_dns_and_https_blocked()
    {
        using var temp = new TempDirectory("keypost-sts-cache");
        var file = temp.Combine("data", "mta-sts-cache.db");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var ca = new TestCertificateAuthority();
        using var policyCertificate = ca.Issue("mta-sts.sts.test");

        // Before the restart: the domain publishes its policy, which is fetched and stored.
        using (var dns = new LoopbackDnsServer())
        {
            await using var https = new StaticHttpsServer(IPAddress.Loopback, policyCertificate, Policy);
            dns.Txt("_mta-sts.sts.test", "v=STSv1; id=20261207T000000").A("mta-sts.sts.test", "127.0.0.1");
            await using var cache = await MtaStsPolicyCache.OpenAsync(file, CancellationToken.None);
            using var source = Source(dns, https.Port, ca, clock, cache);
            var (fetched, error) = await source.GetAsync("sts.test", CancellationToken.None);
            Assert.Null(error);
            Assert.Equal(MtaStsMode.Enforce, fetched!.Mode);
            Assert.Equal(1, https.Requests);
        }

        // After it, an attacker answers every DNS query with nothing and the policy host is gone.
        using var stripped = new LoopbackDnsServer();
        clock.Advance(TimeSpan.FromHours(23));
        await using (var cache = await MtaStsPolicyCache.OpenAsync(file, CancellationToken.None))
        {
            using var source = Source(stripped, 9, ca, clock, cache);
            var (policy, error) = await source.GetAsync("sts.test", CancellationToken.None);
            Assert.Null(error);
            Assert.Equal(MtaStsMode.Enforce, policy!.Mode);
            Assert.Equal("20261207T000000", policy.Id);
            Assert.True(policy.AllowsMx("mx.sts.test"));
        }

        // Without the file (memory only, as before this change) the same restart would forget the policy.
        using (var forgetful = Source(stripped, 9, ca, clock, cache: null))
        {
            Assert.Null((await forgetful.GetAsync("sts.test", CancellationToken.None)).Policy);
        }

        // Past max_age (86400 s from the fetch) the stored policy no longer counts, and its row is removed.
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await using (var cache = await MtaStsPolicyCache.OpenAsync(file, CancellationToken.None))
        {
            using var source = Source(stripped, 9, ca, clock, cache);
            Assert.Null((await source.GetAsync("sts.test", CancellationToken.None)).Policy);
            Assert.Empty(await cache.LoadAsync(clock.GetUtcNow() - TimeSpan.FromDays(2), CancellationToken.None));
        }
    }

    private static MtaStsPolicySource Source(LoopbackDnsServer dns, int httpsPort, TestCertificateAuthority ca, TimeProvider clock, MtaStsPolicyCache? cache) =>
        new(
            new MailDnsResolver(new MailDnsResolverOptions { NameServers = [dns.EndPoint], Timeout = TimeSpan.FromSeconds(10), Retries = 0, UseCache = false }),
            new MtaStsOptions { HttpsPort = httpsPort, ExtraTrustedRoots = [ca.Certificate], TimeProvider = clock, FetchTimeout = TimeSpan.FromSeconds(20), Cache = cache });
}
