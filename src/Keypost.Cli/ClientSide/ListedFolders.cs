using System.Text.Json;

namespace Keypost.Cli.ClientSide;

/// <summary>
/// The UIDVALIDITY each folder had when `keypost inbox` last listed it (listed.json in the profile), so that
/// `read ID` and `move ID` act on the message that was listed or on none (RFC 9051 §2.3.1.1).
/// </summary>
public sealed class ListedFolders(string path)
{
    public async Task<uint?> FindAsync(string folder, CancellationToken cancellationToken) =>
        (await LoadAsync(cancellationToken)).TryGetValue(Key(folder), out var validity) ? validity : null;

    public async Task RecordAsync(string folder, uint uidValidity, CancellationToken cancellationToken)
    {
        var all = await LoadAsync(cancellationToken);
        all[Key(folder)] = uidValidity;
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(all), cancellationToken);
    }

    // RFC 9051 §5.1: INBOX is case-insensitive, every other name is not.
    private static string Key(string folder) => string.Equals(folder, "INBOX", StringComparison.OrdinalIgnoreCase) ? "INBOX" : folder;

    private async Task<Dictionary<string, uint>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return new(StringComparer.Ordinal);
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, uint>>(await File.ReadAllTextAsync(path, cancellationToken)) ?? [];
        }
        catch (JsonException)
        {
            // A damaged file only loses the check for IDs given without their UIDVALIDITY.
            return new(StringComparer.Ordinal);
        }
    }
}
