using Keypost.Server.Hosting;
using Xunit;

namespace Keypost.Server.Tests.Hosting;

public class IdleTrimPolicyTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Trims_at_the_first_quiet_tick_after_startup_and_not_again_while_idle()
    {
        var policy = new IdleTrimPolicy(burstBytes: 32 * MiB, quietBytes: 2 * MiB);

        Assert.False(policy.ShouldTrim(20 * MiB)); // still starting: 20 MiB in the first tick
        Assert.True(policy.ShouldTrim(21 * MiB));  // quiet: startup's garbage goes back, though under a burst
        Assert.False(policy.ShouldTrim(21 * MiB));
        Assert.False(policy.ShouldTrim(22 * MiB));
    }

    [Fact]
    public void Trims_once_after_a_burst_when_the_server_is_quiet_again()
    {
        var policy = new IdleTrimPolicy(burstBytes: 32 * MiB, quietBytes: 2 * MiB);
        Assert.False(policy.ShouldTrim(10 * MiB));
        Assert.True(policy.ShouldTrim(10 * MiB));

        // A load: never collected while it runs, however long.
        Assert.False(policy.ShouldTrim(100 * MiB));
        Assert.False(policy.ShouldTrim(300 * MiB));
        Assert.False(policy.ShouldTrim(500 * MiB));
        Assert.True(policy.ShouldTrim(501 * MiB));
        Assert.False(policy.ShouldTrim(501 * MiB));
    }

    [Fact]
    public void Trickles_of_work_under_a_burst_do_not_trim()
    {
        var policy = new IdleTrimPolicy(burstBytes: 32 * MiB, quietBytes: 2 * MiB);
        Assert.True(policy.ShouldTrim(1 * MiB));

        // 1.5 MiB a tick is quiet, and 30 MiB over twenty ticks is not yet a burst.
        var allocated = 1 * MiB;
        for (var tick = 0; tick < 20; tick++)
        {
            allocated += 3 * MiB / 2;
            Assert.False(policy.ShouldTrim(allocated));
        }

        // Two more MiB (still a quiet tick) make 32 since the trim: a burst, so this tick trims.
        Assert.True(policy.ShouldTrim(allocated + 2 * MiB));
    }
}
