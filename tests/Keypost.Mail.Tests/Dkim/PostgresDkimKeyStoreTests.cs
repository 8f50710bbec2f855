using Keypost.LocalServe;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Testing.Postgres;
using MimeKit;
using Npgsql;

namespace Keypost.Mail.Tests.Dkim;

/// <summary>
/// Issue #15: with storage.kind "postgres" the DKIM keys are in the shared database. Nodes that reach for a domain's
/// keys at the same moment on a fresh database end up with one key per selector (each offers its own; the first
/// insert wins and all read it back), and mail signed on either node verifies against the one record in DNS.
/// </summary>
public sealed class PostgresDkimKeyStoreTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [PostgresFact]
    public async Task Two_nodes_racing_on_a_fresh_database_sign_with_one_key_that_verifies_against_the_one_DNS_record()
    {
        var ct = CancellationToken.None;
        // Two nodes: a pool and a key store each, as two `keypost serve` processes have.
        await using var poolA = NpgsqlDataSource.Create(database.ConnectionString);
        await using var poolB = NpgsqlDataSource.Create(database.ConnectionString);
        var opened = await Task.WhenAll(DkimKeyStore.OpenPostgresAsync(poolA, null, ct), DkimKeyStore.OpenPostgresAsync(poolB, null, ct));
        var (nodeA, nodeB) = (opened[0], opened[1]);

        // Several domains raced at once, so a lost race (a key generated but not stored) is exercised, not just possible.
        var domains = new[] { "rebel.test", "jedi.test", "hoth.test" };
        var racedA = domains.Select(d => nodeA.GetOrCreateAsync(d, ct)).ToList();
        var racedB = domains.Select(d => nodeB.GetOrCreateAsync(d, ct)).ToList();
        var keysA = await Task.WhenAll(racedA);
        var keysB = await Task.WhenAll(racedB);
        for (var i = 0; i < domains.Length; i++)
        {
            Assert.Equal(keysA[i].Ed25519.TxtRecord, keysB[i].Ed25519.TxtRecord);
            Assert.Equal(keysA[i].Rsa.TxtRecord, keysB[i].Rsa.TxtRecord);
        }

        var stored = await nodeA.ListAsync(ct);
        Assert.Equal(domains.Length * 2, stored.Count);

        // DNS publishes node A's records only; each node signs a message; both verify.
        using var dns = new LoopbackDnsServer();
        var rebel = keysA[0];
        dns.Txt(rebel.Ed25519.DnsName, rebel.Ed25519.TxtRecord).Txt(rebel.Rsa.DnsName, rebel.Rsa.TxtRecord);
        var verifier = new DkimMessageVerifier(new MailDnsResolver(new MailDnsResolverOptions
        {
            NameServers = [dns.EndPoint],
            Timeout = TimeSpan.FromSeconds(5),
            UseCache = false,
        }));
        foreach (var node in new[] { nodeA, nodeB })
        {
            var signed = await new DkimSigningService(node).SignAsync(TestMessages.Stream(TestMessages.Plain), "rebel.test", ct);
            var results = await verifier.VerifyAsync(await MimeMessage.LoadAsync(new MemoryStream(signed), ct), ct);
            Assert.Equal(2, results.Count);
            Assert.All(results, r => Assert.Equal(DkimResult.Pass, r.Result));
        }

        // A node started later (a fresh store, nothing cached) reads the same key rather than making one.
        await using var poolC = NpgsqlDataSource.Create(database.ConnectionString);
        var nodeC = await DkimKeyStore.OpenPostgresAsync(poolC, null, ct);
        Assert.Equal(rebel.Rsa.TxtRecord, (await nodeC.GetOrCreateAsync("rebel.test", ct)).Rsa.TxtRecord);
        Assert.Equal(domains.Length * 2, (await nodeC.ListAsync(ct)).Count);
    }
}
