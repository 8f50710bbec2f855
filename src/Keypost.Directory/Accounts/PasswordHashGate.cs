namespace Keypost.Directory.Accounts;

/// <summary>
/// Bounds how many password hashes run at once. Each Argon2id check holds its whole memory cost (19 MiB with the
/// defaults of <see cref="PasswordHasher"/>) while it runs, so unbounded parallel guessing grows the server by that
/// much per attempt; behind this gate the rest wait in a queue (FIFO enough for this purpose) and memory stays flat.
/// </summary>
public sealed class PasswordHashGate : IDisposable
{
    private readonly SemaphoreSlim _slots;

    /// <param name="maxConcurrent">Hashes at once; by default one per processor, since each is CPU-bound anyway.</param>
    public PasswordHashGate(int? maxConcurrent = null)
    {
        var slots = maxConcurrent ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots, nameof(maxConcurrent));
        MaxConcurrent = slots;
        _slots = new SemaphoreSlim(slots, slots);
    }

    public int MaxConcurrent { get; }

    /// <summary>Checks a password against a PHC string (see <see cref="PasswordHasher.Verify"/>) once a slot is free.</summary>
    public Task<bool> VerifyAsync(string password, string encoded, CancellationToken cancellationToken) =>
        RunAsync(() => PasswordHasher.Verify(password, encoded), cancellationToken);

    /// <summary>Runs <paramref name="work"/> on the thread pool once a slot is free.</summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(work, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
