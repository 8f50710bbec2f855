using Keypost.Transparency.Witness;

namespace Keypost.Transparency.Tests.Witness;

/// <summary>The witness's store in memory, for the state machine's tests.</summary>
internal sealed class MemoryWitnessStore : IWitnessStore
{
    private readonly Dictionary<string, WitnessRecord> _records = new(StringComparer.Ordinal);

    public Task<WitnessRecord?> ReadAsync(string origin, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            return Task.FromResult(_records.GetValueOrDefault(origin));
        }
    }

    public Task<bool> TryAdvanceAsync(long expectedSize, WitnessRecord next, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            var current = _records.GetValueOrDefault(next.Origin)?.Size ?? 0;
            if (current != expectedSize)
            {
                return Task.FromResult(false);
            }

            _records[next.Origin] = next;
            return Task.FromResult(true);
        }
    }
}
