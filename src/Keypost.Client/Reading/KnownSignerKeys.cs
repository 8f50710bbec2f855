using System.Text.Json;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Reading;

/// <summary>
/// Senders' certificates the reader already has, and when each sender was last looked up. Public keys and times
/// only (no message content). Kept in a JSON file beside the pins, or in memory when no path is given.
/// </summary>
public sealed class KnownSignerKeys
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly string? _path;
    private readonly Dictionary<string, Entry> _entries;

    private KnownSignerKeys(string? path, Dictionary<string, Entry> entries)
    {
        _path = path;
        _entries = entries;
    }

    public static KnownSignerKeys InMemory() => new(null, new(StringComparer.Ordinal));

    public static async Task<KnownSignerKeys> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return new KnownSignerKeys(path, new(StringComparer.Ordinal));
        }

        await using var stream = File.OpenRead(path);
        var entries = await JsonSerializer.DeserializeAsync<Dictionary<string, Entry>>(stream, Json, cancellationToken) ?? [];
        return new KnownSignerKeys(path, new(entries, StringComparer.Ordinal));
    }

    /// <summary>The certificate held for <paramref name="address"/>, if any.</summary>
    public Certificate? Find(EmailAddress address) =>
        _entries.TryGetValue(address.Canonical, out var entry) && entry.Certificate is { } armored
            ? Certificate.Parse(armored)
            : null;

    public DateTimeOffset? LastLookup(EmailAddress address) =>
        _entries.TryGetValue(address.Canonical, out var entry) ? entry.LookedUpAt : null;

    /// <summary>Records a lookup of <paramref name="address"/> at <paramref name="at"/> and what it found.</summary>
    public async Task RecordLookupAsync(EmailAddress address, DateTimeOffset at, Certificate? found, CancellationToken cancellationToken)
    {
        var previous = _entries.GetValueOrDefault(address.Canonical);
        _entries[address.Canonical] = new Entry(found?.ToArmored() ?? previous?.Certificate, at);
        if (_path is null)
        {
            return;
        }

        var temporary = _path + ".tmp";
        await using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await JsonSerializer.SerializeAsync(stream, _entries, Json, cancellationToken);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private sealed record Entry(string? Certificate, DateTimeOffset LookedUpAt);
}
