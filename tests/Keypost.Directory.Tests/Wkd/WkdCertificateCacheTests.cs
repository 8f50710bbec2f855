using Keypost.Core.Addresses;
using Keypost.Core.Wkd;
using Keypost.Directory.Storage;
using Keypost.Directory.Wkd;
using Keypost.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Directory.Tests.Wkd;

/// <summary>The WKD cache over a real SQLite directory: what it serves after each kind of change, and when.</summary>
public sealed class WkdCertificateCacheTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly string LukeHash = WkdHash.Compute(Luke);
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly TempDirectory _directory = new("keypost-wkd-cache");
    private readonly FakeTimeProvider _clock = new();
    private DirectoryStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new DirectoryStore(await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None), TimeProvider.System);
        await _store.EnsureDomainAsync("jedi.test", CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.Database.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_publication_or_removal_through_the_store_is_served_at_the_next_lookup()
    {
        var cache = new WkdCertificateCache(_store, Lifetime, _clock);
        await _store.PublishAsync(Luke, "AA", [1, 1], revoked: false, CancellationToken.None);
        Assert.Equal([1, 1], await FindAsync(cache));
        Assert.Equal(1, cache.Count);

        await _store.PublishAsync(Luke, "BB", [2, 2, 2], revoked: false, CancellationToken.None);
        Assert.Equal([2, 2, 2], await FindAsync(cache));

        await _store.PublishAsync(Luke, "BB", [3, 3, 3, 3], revoked: true, CancellationToken.None);
        Assert.Equal([3, 3, 3, 3], await FindAsync(cache));

        await _store.RemoveAccountAsync(Luke, CancellationToken.None);
        Assert.Null(await FindAsync(cache));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task A_change_made_behind_the_store_is_served_once_the_lifetime_is_over_and_not_before()
    {
        var cache = new WkdCertificateCache(_store, Lifetime, _clock);
        await _store.PublishAsync(Luke, "AA", [1, 1], revoked: false, CancellationToken.None);
        Assert.Equal([1, 1], await FindAsync(cache));

        // What another node or a `keypost directory publish` beside the server does: this store hears nothing.
        await _store.Database.ExecuteAsync("UPDATE certificates SET data = $1 WHERE address = $2 AND state = 'current'", CancellationToken.None, new byte[] { 9, 9, 9 }, Luke.Canonical);
        _clock.Advance(Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.Equal([1, 1], await FindAsync(cache));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([9, 9, 9], await FindAsync(cache));

        await _store.Database.ExecuteAsync("UPDATE certificates SET state = 'withdrawn' WHERE address = $1", CancellationToken.None, Luke.Canonical);
        _store.NoteCertificatesChanged();
        Assert.Null(await FindAsync(cache));
    }

    [Fact]
    public async Task Misses_are_not_kept_so_a_later_publication_is_found()
    {
        var cache = new WkdCertificateCache(_store, Lifetime, _clock);
        Assert.Null(await FindAsync(cache));
        Assert.Null(await cache.FindAsync("jedi.test", WkdHash.Compute("vader"), CancellationToken.None));
        Assert.Equal(0, cache.Count);

        // Even published behind the store's back, a miss was never kept, so nothing waits for the lifetime.
        await _store.PublishAsync(Luke, "AA", [1, 1], revoked: false, CancellationToken.None);
        Assert.Equal([1, 1], await FindAsync(cache));
    }

    [Fact]
    public async Task Entries_are_per_domain()
    {
        await _store.EnsureDomainAsync("rebel.test", CancellationToken.None);
        var cache = new WkdCertificateCache(_store, Lifetime, _clock);
        await _store.PublishAsync(Luke, "AA", [1, 1], revoked: false, CancellationToken.None);
        Assert.Equal([1, 1], await FindAsync(cache));
        Assert.Null(await cache.FindAsync("rebel.test", LukeHash, CancellationToken.None));
    }

    [Fact]
    public async Task With_no_lifetime_or_over_the_byte_budget_every_lookup_reads_the_database()
    {
        await _store.PublishAsync(Luke, "AA", [1, 1], revoked: false, CancellationToken.None);
        var off = new WkdCertificateCache(_store, TimeSpan.Zero, _clock);
        var small = new WkdCertificateCache(_store, Lifetime, _clock, maxBytes: 1);
        Assert.Equal([1, 1], await FindAsync(off));
        Assert.Equal([1, 1], await FindAsync(small));
        Assert.Equal(0, off.Count);
        Assert.Equal(0, small.Count);

        await _store.Database.ExecuteAsync("UPDATE certificates SET data = $1 WHERE address = $2", CancellationToken.None, new byte[] { 9 }, Luke.Canonical);
        Assert.Equal([9], await FindAsync(off));
        Assert.Equal([9], await FindAsync(small));
    }

    private async Task<byte[]?> FindAsync(WkdCertificateCache cache) =>
        await cache.FindAsync("jedi.test", LukeHash, CancellationToken.None);
}
