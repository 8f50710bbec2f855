using System.Net;
using Keypost.Core.Abuse;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Core.Tests.Abuse;

public sealed class LoginThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Owner = IPAddress.Parse("198.51.100.1");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-29T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private LoginThrottle Make(int threshold = 5, int maxEntries = 1000) => new(
        new LoginThrottleOptions
        {
            BaseDelay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(8),
            AddressBlockThreshold = threshold,
            BlockDuration = TimeSpan.FromMinutes(10),
            Window = TimeSpan.FromMinutes(15),
            MaxEntries = maxEntries,
        },
        _time);

    [Fact]
    public void Delays_double_with_each_failure_up_to_the_maximum()
    {
        var throttle = Make(threshold: 100);
        var delays = Enumerable.Range(0, 6).Select(i => throttle.RecordFailure(Guesser, $"user{i}@jedi.test").Delay.TotalSeconds).ToList();
        Assert.Equal([1.0, 2, 4, 8, 8, 8], delays);
    }

    [Fact]
    public void An_address_is_blocked_at_the_threshold_until_the_block_ends()
    {
        var throttle = Make(threshold: 3);
        Assert.False(throttle.RecordFailure(Guesser, "luke@jedi.test").AddressBlocked);
        Assert.False(throttle.RecordFailure(Guesser, "leia@jedi.test").AddressBlocked);
        Assert.Null(throttle.BlockedFor(Guesser));
        Assert.True(throttle.RecordFailure(Guesser, "han@jedi.test").AddressBlocked);
        Assert.Equal(TimeSpan.FromMinutes(10), throttle.BlockedFor(Guesser));
        Assert.Null(throttle.BlockedFor(Owner));

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(throttle.BlockedFor(Guesser));
    }

    [Fact]
    public void Ipv4_mapped_addresses_count_as_the_ipv4_client()
    {
        var throttle = Make(threshold: 2);
        throttle.RecordFailure(Guesser, null);
        throttle.RecordFailure(Guesser.MapToIPv6(), null);
        Assert.NotNull(throttle.BlockedFor(Guesser));
        Assert.NotNull(throttle.BlockedFor(Guesser.MapToIPv6()));
    }

    [Fact]
    public void Failures_for_an_account_slow_every_address_but_never_block_the_owner()
    {
        var throttle = Make(threshold: 3);
        // A botnet: each address fails once, all on one account.
        for (var i = 1; i <= 4; i++)
        {
            var verdict = throttle.RecordFailure(IPAddress.Parse($"203.0.113.{i}"), "Luke@jedi.test");
            Assert.False(verdict.AddressBlocked);
            Assert.Equal(i, verdict.AccountFailures);
        }

        // The fifth guess from a fresh address waits as long as the account's fifth failure asks (capped at 8 s).
        Assert.Equal(TimeSpan.FromSeconds(8), throttle.RecordFailure(IPAddress.Parse("203.0.113.99"), "luke@jedi.test").Delay);
        Assert.Null(throttle.BlockedFor(Owner));

        // The owner logs in: the account's count is forgotten, the guessers' addresses keep theirs.
        throttle.RecordSuccess("luke@jedi.test");
        Assert.Equal(1, throttle.RecordFailure(Owner, "luke@jedi.test").AccountFailures);
    }

    [Fact]
    public void Counts_start_again_after_a_quiet_window()
    {
        var throttle = Make(threshold: 3);
        throttle.RecordFailure(Guesser, "a");
        throttle.RecordFailure(Guesser, "a");
        _time.Advance(TimeSpan.FromMinutes(16));
        var verdict = throttle.RecordFailure(Guesser, "a");
        Assert.Equal(1, verdict.AddressFailures);
        Assert.False(verdict.AddressBlocked);
    }

    [Fact]
    public void Memory_is_bounded_under_a_flood_of_sources()
    {
        var throttle = Make(threshold: 3, maxEntries: 50);
        for (var i = 0; i < 1000; i++)
        {
            throttle.RecordFailure(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)), $"user{i}@jedi.test");
        }

        Assert.True(throttle.Count <= 100, $"{throttle.Count} entries");
    }
}
