namespace Keypost.Server.Hosting;

/// <summary>
/// Decides when an idle server hands memory back: after a burst of work (startup, a load) has ended. It is fed the
/// process's total allocated bytes at each tick and says "trim" at the first quiet tick after startup, then once per
/// burst at the first quiet tick after it, so a busy server is never paused for a full collection and a quiet one is
/// not collected again and again.
/// </summary>
internal sealed class IdleTrimPolicy(long burstBytes, long quietBytes)
{
    private long _previous;
    private long _atLastTrim;
    private bool _started;

    /// <summary>Bytes allocated since the last trim that make the work before a quiet tick a burst.</summary>
    public long BurstBytes { get; } = burstBytes;

    /// <summary>At most this many bytes allocated since the previous tick: the server is quiet.</summary>
    public long QuietBytes { get; } = quietBytes;

    public bool ShouldTrim(long totalAllocated)
    {
        var sincePrevious = totalAllocated - _previous;
        _previous = totalAllocated;
        // Startup is a burst whatever it allocated: the garbage of reading the configuration, opening the
        // databases and compiling the code goes back at the first quiet tick.
        if (sincePrevious > QuietBytes || (_started && totalAllocated - _atLastTrim < BurstBytes))
        {
            return false;
        }

        _started = true;
        _atLastTrim = totalAllocated;
        return true;
    }
}
