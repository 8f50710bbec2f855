namespace Keypost.Transparency.Witness;

/// <summary>Where a witness keeps, per log origin, the newest checkpoint it cosigned.</summary>
public interface IWitnessStore
{
    Task<WitnessRecord?> ReadAsync(string origin, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically replaces the record of <paramref name="next"/>'s origin, only if the stored size is still
    /// <paramref name="expectedSize"/> (0 = none stored). False when another request moved it first: C2SP
    /// tlog-witness requires the check and the update to be atomic, or a slower request could roll the log back.
    /// </summary>
    Task<bool> TryAdvanceAsync(long expectedSize, WitnessRecord next, CancellationToken cancellationToken);
}
