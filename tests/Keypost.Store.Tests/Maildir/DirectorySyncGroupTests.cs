using Keypost.Core.Addresses;
using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Store.Tests.Maildir;

/// <summary>Deliveries into one Maildir at the same time share the fsync of new/; none is lost or answered early.</summary>
public sealed class DirectorySyncGroupTests
{
    [Fact]
    public async Task Parallel_deliveries_into_one_Maildir_all_land_whole_in_new()
    {
        using var dir = new TempDirectory();
        var store = new MaildirStore(dir.Path);
        var luke = EmailAddress.Parse("luke@jedi.test");
        var bodies = Enumerable.Range(0, 64).Select(i => $"Subject: {i}\r\n\r\nmessage {i}\r\n").ToList();

        var paths = await Task.WhenAll(bodies.Select(body => Task.Run(() =>
            store.DeliverAsync(luke, new MemoryStream(System.Text.Encoding.ASCII.GetBytes(body)), CancellationToken.None))));

        var maildir = store.GetMaildirPath(luke);
        Assert.Equal(64, paths.Distinct().Count());
        Assert.Equal(paths.Order(), System.IO.Directory.GetFiles(Path.Combine(maildir, "new")).Order());
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(maildir, "tmp")));
        Assert.Equal(bodies.Order(), (await Task.WhenAll(paths.Select(p => File.ReadAllTextAsync(p)))).Order());
    }

    [Fact]
    public async Task Every_caller_of_a_failing_sync_sees_the_error_and_the_group_recovers()
    {
        using var dir = new TempDirectory();
        var group = new DirectorySyncGroup();
        var missing = Path.Combine(dir.Path, "gone");

        var calls = Enumerable.Range(0, 16).Select(_ => Task.Run(() => group.SyncAsync(missing))).ToList();
        foreach (var call in calls)
        {
            await Assert.ThrowsAsync<IOException>(() => call);
        }

        // Nothing is left marked busy: the next sync of an existing directory runs and completes.
        System.IO.Directory.CreateDirectory(missing);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => group.SyncAsync(missing))));
    }
}
