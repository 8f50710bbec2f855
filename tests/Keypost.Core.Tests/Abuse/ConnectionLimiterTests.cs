using System.Net;
using Keypost.Core.Abuse;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Core.Tests.Abuse;

public sealed class ConnectionLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Other = IPAddress.Parse("198.51.100.1");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-29T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Open_connections_are_capped_per_address_and_a_leave_frees_a_place()
    {
        var limiter = new ConnectionLimiter(2, 0, _time);
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Client));
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Client));
        Assert.Equal(ConnectionAdmission.TooManyOpen, limiter.TryEnter(Client));
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Other));

        limiter.Leave(Client);
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Client));
        Assert.Equal(1, limiter.RefusedTooMany);
        Assert.Equal(2, limiter.OpenFrom(Client));
    }

    [Fact]
    public void The_rate_counts_every_attempt_in_a_minute_and_starts_again_after_it()
    {
        var limiter = new ConnectionLimiter(100, 3, _time);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Client));
            limiter.Leave(Client);
        }

        Assert.Equal(ConnectionAdmission.TooFast, limiter.TryEnter(Client));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(ConnectionAdmission.TooFast, limiter.TryEnter(Client));
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Other));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Client));
        Assert.Equal(2, limiter.RefusedTooFast);
    }

    [Fact]
    public void An_ipv4_client_through_a_dual_stack_socket_is_the_same_client()
    {
        var limiter = new ConnectionLimiter(1, 0, _time);
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Client));
        Assert.Equal(ConnectionAdmission.TooManyOpen, limiter.TryEnter(Client.MapToIPv6()));
    }

    [Fact]
    public void The_table_stays_bounded_under_a_flood_of_sources_and_never_forgets_open_connections()
    {
        var limiter = new ConnectionLimiter(1, 10, _time, maxEntries: 100);
        Assert.Equal(ConnectionAdmission.Admitted, limiter.TryEnter(Client));
        for (var i = 0; i < 1000; i++)
        {
            var source = new IPAddress([10, 0, (byte)(i / 256), (byte)(i % 256)]);
            limiter.TryEnter(source);
            limiter.Leave(source);
        }

        Assert.InRange(limiter.Count, 1, 100);
        Assert.Equal(1, limiter.OpenFrom(Client));
        Assert.Equal(ConnectionAdmission.TooManyOpen, limiter.TryEnter(Client));
    }
}
