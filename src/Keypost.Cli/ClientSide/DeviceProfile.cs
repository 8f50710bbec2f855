using System.Text.Json;

namespace Keypost.Cli.ClientSide;

/// <summary>
/// device.json on a device added with `keypost client add-device`: the server's id for its request, its name and
/// the version of the key package it installed last.
/// </summary>
public sealed class DeviceProfile
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public int PackageVersion { get; set; }

    public static DeviceProfile? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<DeviceProfile>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new CliException($"{path}: {e.Message}");
        }
    }

    public async Task SaveAsync(string path, CancellationToken cancellationToken)
    {
        var temporary = path + ".new";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(this, Json), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }
}
