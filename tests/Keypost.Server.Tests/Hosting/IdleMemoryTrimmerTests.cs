using System.Threading.Channels;
using Keypost.Server.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Keypost.Server.Tests.Hosting;

public class IdleMemoryTrimmerTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public async Task Hands_memory_back_after_startup_and_after_a_burst_on_its_own_timer()
    {
        var clock = new FakeTimeProvider();
        // What the process allocated, as seen at each tick: startup, quiet, quiet, a load, quiet, quiet.
        var allocated = new Queue<long>([40 * MiB, 41 * MiB, 41 * MiB, 200 * MiB, 201 * MiB, 201 * MiB]);
        // Each read of the counter reports how many trims the earlier ticks made: the ticks run one after another.
        var seen = Channel.CreateUnbounded<int>();
        IdleMemoryTrimmer? trimmer = null;
        trimmer = new IdleMemoryTrimmer(
            new IdleTrimPolicy(burstBytes: 32 * MiB, quietBytes: 2 * MiB),
            TimeSpan.FromSeconds(10),
            clock,
            NullLogger.Instance,
            () =>
            {
                seen.Writer.TryWrite(trimmer!.Trims);
                return allocated.Dequeue();
            });

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await trimmer.StartAsync(timeout.Token);
        var trimsBeforeTick = new List<int>();
        for (var tick = 0; tick < 6; tick++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            trimsBeforeTick.Add(await seen.Reader.ReadAsync(timeout.Token));
        }

        await trimmer.StopAsync(timeout.Token);
        // Nothing before the first tick; one trim at the first quiet tick; none during the load; one after it.
        Assert.Equal([0, 0, 1, 1, 1, 2], trimsBeforeTick);
        Assert.Equal(2, trimmer.Trims);
    }
}
