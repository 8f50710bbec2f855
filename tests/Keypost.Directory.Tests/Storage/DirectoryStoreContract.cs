using Keypost.Core.Addresses;
using Keypost.Core.Wkd;
using Keypost.Directory.Storage;
using Keypost.Testing.Postgres;

namespace Keypost.Directory.Tests.Storage;

/// <summary>
/// What the directory's stores do on every engine: accounts, certificate history, WKD lookups, devices, WKS requests
/// and reminders, and two instances on the same storage (two nodes, or the server and a `keypost` command). One
/// subclass per engine runs the same tests (SQLite, PostgreSQL).
/// </summary>
public abstract class DirectoryStoreContract : IAsyncLifetime
{
    private readonly List<DirectoryDatabase> _opened = [];

    // A fresh domain per test: the PostgreSQL class shares one database between its tests.
    protected string Domain { get; } = $"d{Guid.NewGuid():N}.test";

    protected EmailAddress Luke => EmailAddress.Parse("luke@" + Domain);

    protected EmailAddress Leia => EmailAddress.Parse("leia@" + Domain);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var database in _opened)
        {
            await database.DisposeAsync();
        }
    }

    /// <summary>A database on this test's storage: each call is another instance on the same data (another node).</summary>
    protected abstract Task<DirectoryDatabase> CreateDatabaseAsync();

    [ContractFact]
    public async Task Accounts_need_a_hosted_domain_and_keep_their_password_and_encryption_choice()
    {
        var store = await OpenAsync();
        await Assert.ThrowsAsync<DirectoryException>(() => store.EnsureAccountAsync(Luke, CancellationToken.None));
        Assert.False(await store.IsHostedDomainAsync(Domain, CancellationToken.None));

        await store.EnsureDomainAsync(Domain, CancellationToken.None);
        await store.EnsureDomainAsync(Domain, CancellationToken.None);
        await store.SetPasswordHashAsync(Luke, "hash-1", CancellationToken.None);
        await store.EnsureAccountAsync(Luke, CancellationToken.None);

        Assert.True(await store.IsHostedDomainAsync(Domain, CancellationToken.None));
        Assert.Contains(Domain, await store.ListDomainsAsync(CancellationToken.None));
        Assert.True(await store.AccountExistsAsync(Luke, CancellationToken.None));
        Assert.False(await store.AccountExistsAsync(Leia, CancellationToken.None));
        Assert.Contains(Luke.Canonical, await store.ListAccountsAsync(CancellationToken.None));
        Assert.Equal("hash-1", await store.GetPasswordHashAsync(Luke, CancellationToken.None));
        Assert.Null(await store.GetPasswordHashAsync(Leia, CancellationToken.None));

        Assert.True(await store.GetEncryptAtRestAsync(Luke, CancellationToken.None));
        Assert.True(await store.SetEncryptAtRestAsync(Luke, false, CancellationToken.None));
        Assert.False(await store.GetEncryptAtRestAsync(Luke, CancellationToken.None));
        Assert.False(await store.SetEncryptAtRestAsync(Leia, false, CancellationToken.None));
        Assert.False(await store.GetEncryptAtRestAsync(Leia, CancellationToken.None));
    }

    [ContractFact]
    public async Task A_publication_replaces_the_current_certificate_keeps_the_history_and_is_found_by_WKD()
    {
        var store = await OpenHostingAsync();
        var first = await store.PublishAsync(Luke, "AA01", [1, 2, 3], false, CancellationToken.None);
        var second = await store.PublishAsync(Luke, "BB02", [4, 5], true, PublicationChannel.Account, CancellationToken.None);
        await store.PublishAsync(Leia, "CC03", [6], false, PublicationChannel.Wks, CancellationToken.None);

        Assert.True(second > first);
        var current = (await store.FindCurrentAsync(Luke, CancellationToken.None))!;
        Assert.Equal((second, "BB02", CertificateState.Current, true), (current.Id, current.Fingerprint, current.State, current.Revoked));
        Assert.Equal([4, 5], current.Data);
        var history = await store.HistoryAsync(Luke, CancellationToken.None);
        Assert.Equal([CertificateState.Replaced, CertificateState.Current], history.Select(h => h.State));
        Assert.NotNull(history[0].EndedAt);
        Assert.Null(history[1].EndedAt);

        var hash = WkdHash.Compute(Luke);
        Assert.Equal([[4, 5]], await store.FindForWkdAsync(Domain, hash, CancellationToken.None));
        Assert.Equal([Luke.Canonical], await store.FindAddressesForWkdAsync(Domain, hash, CancellationToken.None));
        Assert.Empty(await store.FindForWkdAsync(Domain, WkdHash.Compute(EmailAddress.Parse("vader@" + Domain)), CancellationToken.None));

        Assert.Equal([Leia.Canonical, Luke.Canonical], (await store.ListCurrentAsync(Domain, CancellationToken.None)).Select(c => c.Address));
        var listed = new List<CertificateListing>();
        await foreach (var row in store.StreamCurrentAsync(Domain, CancellationToken.None))
        {
            listed.Add(row);
        }

        Assert.Equal(["CC03", "BB02"], listed.Select(l => l.Fingerprint));
        Assert.Equal([false, true], listed.Select(l => l.Revoked));
        var data = new List<string>();
        await foreach (var row in store.StreamCurrentDataAsync(CancellationToken.None))
        {
            data.Add(row.Address);
        }

        Assert.Contains(Luke.Canonical, data);
    }

    [ContractFact]
    public async Task Removing_an_account_withdraws_its_certificate_and_its_devices_packages()
    {
        var store = await OpenHostingAsync();
        await store.SetPasswordHashAsync(Luke, "hash", CancellationToken.None);
        await store.PublishAsync(Luke, "AA01", [1], false, CancellationToken.None);
        var devices = new DeviceStore(store.Database);
        Assert.True(await devices.AddAsync(Device("phone"), CancellationToken.None));
        Assert.Equal(1, await devices.SetPackageAsync(Luke.Canonical, "phone", [9], DateTimeOffset.UtcNow, CancellationToken.None));

        Assert.True(await store.RemoveAccountAsync(Luke, CancellationToken.None));

        Assert.Null(await store.FindCurrentAsync(Luke, CancellationToken.None));
        Assert.Equal(CertificateState.Withdrawn, Assert.Single(await store.HistoryAsync(Luke, CancellationToken.None)).State);
        Assert.Null(await store.GetPasswordHashAsync(Luke, CancellationToken.None));
        var phone = (await devices.FindAsync(Luke.Canonical, "phone", CancellationToken.None))!;
        Assert.Equal(DeviceState.Removed, phone.State);
        Assert.Null(phone.Package);
    }

    [ContractFact]
    public async Task Devices_are_capped_per_account_scoped_to_it_and_versioned()
    {
        var store = await OpenHostingAsync();
        await store.EnsureAccountAsync(Luke, CancellationToken.None);
        var devices = new DeviceStore(store.Database);
        for (var i = 0; i < DeviceStore.MaxDevicesPerAccount; i++)
        {
            Assert.True(await devices.AddAsync(Device("d" + i), CancellationToken.None));
        }

        Assert.False(await devices.AddAsync(Device("one-too-many"), CancellationToken.None));
        Assert.Equal(1, await devices.SetPackageAsync(Luke.Canonical, "d0", [1], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal(2, await devices.SetPackageAsync(Luke.Canonical, "d0", [2], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Null(await devices.SetPackageAsync(Leia.Canonical, "d0", [3], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Null(await devices.FindAsync(Leia.Canonical, "d0", CancellationToken.None));

        var d0 = (await devices.FindAsync(Luke.Canonical, "d0", CancellationToken.None))!;
        Assert.Equal((DeviceState.Approved, 2), (d0.State, d0.PackageVersion));
        Assert.Equal([2], d0.Package);
        Assert.True(await devices.RemoveAsync(Luke.Canonical, "d1", DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.False(await devices.RemoveAsync(Luke.Canonical, "d1", DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Null(await devices.SetPackageAsync(Luke.Canonical, "d1", [4], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.True(await devices.AddAsync(Device("replacement"), CancellationToken.None));
        Assert.Equal(DeviceStore.MaxDevicesPerAccount + 1, (await devices.ListAsync(Luke.Canonical, CancellationToken.None)).Count);
    }

    [ContractFact]
    public async Task A_WKS_nonce_is_claimed_once_and_a_reminder_recorded_once()
    {
        var store = await OpenHostingAsync();
        var lifecycle = new LifecycleStore(store.Database);
        var now = DateTimeOffset.UtcNow;
        // Two nodes making the key at once: the first stored stays; a new submission address replaces it.
        await lifecycle.SaveSubmissionKeyAsync(Domain, "key-submission@" + Domain, [1], now, CancellationToken.None);
        await lifecycle.SaveSubmissionKeyAsync(Domain, "key-submission@" + Domain, [2], now, CancellationToken.None);
        Assert.Equal([1], await lifecycle.FindSubmissionKeyAsync(Domain, "key-submission@" + Domain, CancellationToken.None));
        Assert.Null(await lifecycle.FindSubmissionKeyAsync(Domain, "other@" + Domain, CancellationToken.None));
        await lifecycle.SaveSubmissionKeyAsync(Domain, "other@" + Domain, [3], now, CancellationToken.None);
        Assert.Equal([3], await lifecycle.FindSubmissionKeyAsync(Domain, "other@" + Domain, CancellationToken.None));
        Assert.Null(await lifecycle.FindSubmissionKeyAsync(Domain, "key-submission@" + Domain, CancellationToken.None));

        var nonce = Guid.NewGuid().ToByteArray();
        await lifecycle.AddRequestAsync(new WksPendingRequest(nonce, Luke.Canonical, "AA01", [7], "gpg-wks-client", now, now.AddDays(1), null), CancellationToken.None);
        await lifecycle.AddRequestAsync(new WksPendingRequest(Guid.NewGuid().ToByteArray(), Luke.Canonical, "AA01", [7], "gpg-wks-client", now.AddDays(-2), now.AddDays(-1), null), CancellationToken.None);
        Assert.Equal(1, await lifecycle.CountPendingAsync(Luke.Canonical, now, CancellationToken.None));
        var found = (await lifecycle.FindRequestAsync(nonce, CancellationToken.None))!;
        Assert.Equal((Luke.Canonical, "AA01", "gpg-wks-client", (DateTimeOffset?)null), (found.Address, found.Fingerprint, found.Client, found.UsedAt));

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => lifecycle.ClaimRequestAsync(nonce, now, CancellationToken.None)));
        Assert.Single(claims, c => c);
        Assert.NotNull((await lifecycle.FindRequestAsync(nonce, CancellationToken.None))!.UsedAt);
        Assert.Equal(0, await lifecycle.CountPendingAsync(Luke.Canonical, now, CancellationToken.None));

        Assert.False(await lifecycle.WasReminderSentAsync(Luke.Canonical, "AA01", 14, CancellationToken.None));
        Assert.True(await lifecycle.RecordReminderAsync(Luke.Canonical, "AA01", 14, now, CancellationToken.None));
        Assert.False(await lifecycle.RecordReminderAsync(Luke.Canonical, "AA01", 14, now, CancellationToken.None));
        Assert.True(await lifecycle.WasReminderSentAsync(Luke.Canonical, "AA01", 14, CancellationToken.None));
        await lifecycle.ForgetReminderAsync(Luke.Canonical, "AA01", 14, CancellationToken.None);
        Assert.True(await lifecycle.RecordReminderAsync(Luke.Canonical, "AA01", 14, now, CancellationToken.None));
    }

    [ContractFact]
    public async Task Publications_through_two_instances_at_once_leave_one_current_certificate_an_address()
    {
        var nodeA = await OpenHostingAsync();
        var nodeB = await OpenAsync();

        var publications = Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? nodeA : nodeB)
            .PublishAsync(i % 4 < 2 ? Luke : Leia, $"F{i:D2}", [(byte)i], false, CancellationToken.None));
        var ids = await Task.WhenAll(publications);

        Assert.Equal(20, ids.Distinct().Count());
        foreach (var address in new[] { Luke, Leia })
        {
            var history = await nodeB.HistoryAsync(address, CancellationToken.None);
            Assert.Equal(10, history.Count);
            Assert.Single(history, h => h.State == CertificateState.Current);
            // The newest row is the current one: ids are taken in commit order.
            Assert.Equal(CertificateState.Current, history[^1].State);
        }
    }

    private async Task<DirectoryStore> OpenAsync()
    {
        var database = await CreateDatabaseAsync();
        _opened.Add(database);
        return new DirectoryStore(database, TimeProvider.System);
    }

    private async Task<DirectoryStore> OpenHostingAsync()
    {
        var store = await OpenAsync();
        await store.EnsureDomainAsync(Domain, CancellationToken.None);
        return store;
    }

    private DeviceRecord Device(string id) =>
        new(id, Luke.Canonical, "Luke's " + id, "AA01", [1, 2], DeviceState.Pending, null, 0, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
}
