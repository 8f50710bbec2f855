using System.Collections.Concurrent;
using Keypost.Directory.Storage;

namespace Keypost.Directory.Wkd;

/// <summary>
/// In charge of keeping what WKD serves in memory: the body of each found (domain, hash), the published
/// (minimised) certificates concatenated, so a lookup costs no database query.
/// A change this process commits (publish, rotate, revoke, account removal) makes every entry stale at once
/// (<see cref="DirectoryStore.CertificateGeneration"/>); a change made elsewhere (another node on PostgreSQL, a
/// <c>keypost</c> command on the same SQLite file) is seen once an entry is older than <see cref="Lifetime"/>.
/// Misses are not kept: a harvester walking random hashes must not fill the memory, and the rate limiter bounds what
/// each client's misses cost the database.
/// </summary>
public sealed class WkdCertificateCache
{
    /// <summary>At most this many bytes of certificates are held; beyond it lookups go to the database as before.</summary>
    public const long DefaultMaxBytes = 16L * 1024 * 1024;

    private readonly DirectoryStore _store;
    private readonly TimeProvider _clock;
    private readonly long _maxBytes;
    private readonly ConcurrentDictionary<(string Domain, string Hash), Entry> _entries = new();
    private long _bytes;
    private long _generation;

    /// <param name="lifetime">How long an entry is served without asking the database again; zero turns the cache off.</param>
    public WkdCertificateCache(DirectoryStore store, TimeSpan lifetime, TimeProvider clock, long maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        _store = store;
        _clock = clock;
        _maxBytes = maxBytes;
        Lifetime = lifetime;
        _generation = store.CertificateGeneration;
    }

    public TimeSpan Lifetime { get; }

    /// <summary>Entries held now (for tests and the operator's curiosity).</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// The body WKD serves for <paramref name="hash"/> under <paramref name="domain"/> (several certificates
    /// concatenated when hashes collide, draft-koch-openpgp-webkey-service §3.1), or null when none is published.
    /// </summary>
    /// <param name="domain">A hosted domain, lower-cased.</param>
    /// <param name="hash">A well-formed WKD hash (32 z-base-32 characters), already checked.</param>
    public async ValueTask<byte[]?> FindAsync(string domain, string hash, CancellationToken cancellationToken)
    {
        // Read before the query: a change committed while the query runs moves the generation past it, so what the
        // query returned is never served from memory afterwards.
        var generation = _store.CertificateGeneration;
        if (generation != Volatile.Read(ref _generation))
        {
            Forget(generation);
        }

        var key = (domain, hash);
        var now = _clock.GetTimestamp();
        if (_entries.TryGetValue(key, out var held) && held.Generation == generation && _clock.GetElapsedTime(held.Loaded, now) < Lifetime)
        {
            return held.Body;
        }

        var certificates = await _store.FindForWkdAsync(domain, hash, cancellationToken);
        var body = Concatenate(certificates);
        if (Lifetime > TimeSpan.Zero)
        {
            Keep(key, held, body, generation, now);
        }

        return body;
    }

    private void Keep((string Domain, string Hash) key, Entry? old, byte[]? body, long generation, long now)
    {
        if (body is null)
        {
            if (old is not null && _entries.TryRemove(KeyValuePair.Create(key, old)))
            {
                Interlocked.Add(ref _bytes, -old.Body.Length);
            }

            return;
        }

        var grows = body.Length - (old?.Body.Length ?? 0);
        if (Volatile.Read(ref _bytes) + grows > _maxBytes)
        {
            return;
        }

        // The accounting is approximate under races (two fills of one key); it bounds memory, it is not a ledger.
        _entries[key] = new Entry(body, generation, now);
        Interlocked.Add(ref _bytes, grows);
    }

    private void Forget(long generation)
    {
        if (Interlocked.Exchange(ref _generation, generation) != generation)
        {
            _entries.Clear();
            Interlocked.Exchange(ref _bytes, 0);
        }
    }

    private static byte[]? Concatenate(IReadOnlyList<byte[]> certificates)
    {
        switch (certificates.Count)
        {
            case 0:
                return null;
            case 1:
                return certificates[0];
        }

        var body = new byte[certificates.Sum(c => c.Length)];
        var at = 0;
        foreach (var certificate in certificates)
        {
            certificate.CopyTo(body, at);
            at += certificate.Length;
        }

        return body;
    }

    private sealed record Entry(byte[] Body, long Generation, long Loaded);
}
