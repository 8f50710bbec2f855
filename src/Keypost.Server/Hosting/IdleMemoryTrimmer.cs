using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>
/// Gives memory back once a burst of work is over (issue #14 item 5, docs/benchmarks.md "Memory of keypost serve"):
/// at the first quiet tick after startup or a load, an aggressive full collection (the GC compacts and decommits its
/// free space; GCCollectionMode.Aggressive) and a trim of the C heap. Without it the GC keeps the heap it grew
/// during the load, sized for the next one, and glibc keeps the native memory SQLite and OpenSSL freed.
/// </summary>
/// <param name="allocated">The process's total allocated bytes (GC.GetTotalAllocatedBytes); a test gives its own.</param>
internal sealed class IdleMemoryTrimmer(IdleTrimPolicy policy, TimeSpan interval, TimeProvider clock, ILogger logger, Func<long>? allocated = null)
    : BackgroundService
{
    // Made with the service, not when ExecuteAsync starts on the thread pool: the first period counts from startup.
    private readonly PeriodicTimer _timer = new(interval, clock);
    private readonly Func<long> _allocated = allocated ?? (() => GC.GetTotalAllocatedBytes(precise: false));

    private static readonly EventId TrimmedEvent = new(9101, "IdleMemoryTrimmed");

    /// <summary>A tick every 10 s; a burst is 32 MiB allocated since the last trim, quiet is under 2 MiB in a tick.</summary>
    public static IdleMemoryTrimmer Create(TimeProvider clock, ILogger logger) =>
        new(new IdleTrimPolicy(burstBytes: 32L << 20, quietBytes: 2L << 20), TimeSpan.FromSeconds(10), clock, logger);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(stoppingToken))
            {
                if (policy.ShouldTrim(_allocated()))
                {
                    Trim();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    public override void Dispose()
    {
        _timer.Dispose();
        base.Dispose();
    }

    /// <summary>How many times memory was handed back.</summary>
    public int Trims { get; private set; }

    private void Trim()
    {
        Trims++;
        var before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var native = NativeHeap.TryTrim();
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug(TrimmedEvent, "Idle after a burst: memory trimmed, resident {BeforeMiB} -> {AfterMiB} MiB (C heap trimmed: {Native})",
                before >> 20, Environment.WorkingSet >> 20, native);
        }
    }
}
