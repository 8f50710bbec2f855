using Keypost.Directory.Accounts;

namespace Keypost.Directory.Tests.Accounts;

public sealed class PasswordHashGateTests
{
    [Fact]
    public async Task No_more_than_the_limit_run_at_once_and_the_rest_queue()
    {
        var gate = new PasswordHashGate(2);
        var running = 0;
        var peak = 0;
        using var release = new ManualResetEventSlim(false);
        using var twoIn = new CountdownEvent(2);

        var work = Enumerable.Range(0, 8).Select(_ => gate.RunAsync(
            () =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref peak, now);
                if (!twoIn.IsSet)
                {
                    twoIn.Signal();
                }

                release.Wait();
                Interlocked.Decrement(ref running);
                return true;
            },
            CancellationToken.None)).ToList();

        // Both slots taken and held: the six others are queued, not running.
        twoIn.Wait();
        Assert.Equal(2, Volatile.Read(ref running));
        release.Set();
        Assert.All(await Task.WhenAll(work), Assert.True);
        Assert.Equal(2, peak);
    }

    [Fact]
    public async Task Verify_goes_through_the_gate_and_checks_the_password()
    {
        var gate = new PasswordHashGate(1);
        var hash = new PasswordHasher(memoryKiB: 64, iterations: 1).Hash("right");
        Assert.True(await gate.VerifyAsync("right", hash, CancellationToken.None));
        Assert.False(await gate.VerifyAsync("wrong", hash, CancellationToken.None));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var prior = Interlocked.CompareExchange(ref target, value, seen);
            if (prior == seen)
            {
                return;
            }

            seen = prior;
        }
    }
}
