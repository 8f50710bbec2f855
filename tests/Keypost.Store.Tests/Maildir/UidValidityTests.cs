using Keypost.Core.Addresses;
using Keypost.Store.Maildir;
using Keypost.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Store.Tests.Maildir;

/// <summary>
/// RFC 9051 §2.3.1.1: a mailbox whose UIDs did not persist (deleted and created again) must get a greater
/// UIDVALIDITY, or clients apply their cached UIDs to other messages. The clock's seconds alone repeat within a second.
/// </summary>
public sealed class UidValidityTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [Fact]
    public async Task A_folder_deleted_and_created_again_at_once_gets_a_greater_uidvalidity()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var account = store.OpenAccount(Luke);
        var seen = new List<uint> { (await account.Get("INBOX").SnapshotAsync(CancellationToken.None)).UidValidity };
        // Several rounds within far less than a second each: the clock alone would hand out repeats.
        for (var round = 0; round < 5; round++)
        {
            account.Create("Archive");
            seen.Add((await account.Get("Archive").SnapshotAsync(CancellationToken.None)).UidValidity);
            account.Delete("Archive");
        }

        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i] > seen[i - 1], $"UIDVALIDITY {seen[i]} after {seen[i - 1]}");
        }
    }

    [Fact]
    public async Task The_counter_survives_a_new_store_instance()
    {
        using var dir = new TempDirectory();
        uint first;
        using (var store = new MaildirStore(dir.Path))
        {
            var account = store.OpenAccount(Luke);
            account.Create("Archive");
            first = (await account.Get("Archive").SnapshotAsync(CancellationToken.None)).UidValidity;
            account.Delete("Archive");
        }

        using (var store = new MaildirStore(dir.Path))
        {
            var account = store.OpenAccount(Luke);
            account.Create("Archive");
            Assert.True((await account.Get("Archive").SnapshotAsync(CancellationToken.None)).UidValidity > first);
        }
    }

    [Fact]
    public void The_counter_takes_the_clock_when_ahead_and_last_plus_one_otherwise()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));

        Assert.Equal(1_800_000_000u, UidValidityCounter.Next(dir.Path, clock));
        Assert.Equal(1_800_000_001u, UidValidityCounter.Next(dir.Path, clock));
        Assert.Equal(1_800_000_002u, UidValidityCounter.Next(dir.Path, clock));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1_800_003_600u, UidValidityCounter.Next(dir.Path, clock));

        // A clock set back (NTP step, restored backup) never brings back a used value.
        var earlier = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        Assert.Equal(1_800_003_601u, UidValidityCounter.Next(dir.Path, earlier));
    }

    [Fact]
    public void A_damaged_counter_file_falls_back_to_the_clock()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, UidValidityCounter.FileName), "garbage");
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));

        Assert.Equal(1_800_000_000u, UidValidityCounter.Next(dir.Path, clock));
    }
}
