using System.Text.Json;
using System.Text.Json.Serialization;
using Keypost.Core.Policy;

namespace Keypost.Cli.ClientSide;

/// <summary>
/// The user's side, kept on the user's machine (~/.keypost, or --home, or $KEYPOST_HOME): who they are, their
/// mail server, their secret key (secret-key.asc, passphrase protected) and their pins (pins.db).
/// </summary>
public sealed class ClientProfile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Address { get; set; } = "";

    /// <summary>The user's mail server (host name or IP) for submission and IMAP.</summary>
    public string Server { get; set; } = "";

    public int SubmissionPort { get; set; } = 587;

    public int ImapPort { get; set; } = 993;

    /// <summary>A CA to trust instead of the system store (a private CA, as in the demo).</summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>Resolvers for WKD lookups ("IP:port"); empty uses the system's.</summary>
    public List<string> DnsServers { get; set; } = [];

    /// <summary>The port WKD lookups connect to; 443 except on a test bed.</summary>
    public int HttpsPort { get; set; } = 443;

    public Dictionary<string, EncryptionPolicy> Policies { get; set; } = [];

    public EncryptionPolicy DefaultPolicy { get; set; } = EncryptionPolicy.Opportunistic;

    public Client.Discovery.KeyChangePolicy OnKeyChange { get; set; } = Client.Discovery.KeyChangePolicy.Refuse;

    /// <summary>
    /// Whether reading may look up a signer's key by WKD (listing only, once per sender per period); false turns
    /// every lookup made for reading off. `--no-lookup` does the same for one command.
    /// </summary>
    public bool ReadLookups { get; set; } = true;

    /// <summary>How long after looking a sender up reading leaves that sender's domain alone (hours).</summary>
    public double ReadLookupPeriodHours { get; set; } = 24;

    [JsonIgnore]
    public string Home { get; private set; } = "";

    [JsonIgnore]
    public string SecretKeyPath => Path.Combine(Home, "secret-key.asc");

    /// <summary>On a device added with `client add-device`: its request id and the key package it installed.</summary>
    [JsonIgnore]
    public string DevicePath => Path.Combine(Home, "device.json");

    /// <summary>On such a device: its own transport key, to which the first device encrypts the key package.</summary>
    [JsonIgnore]
    public string DeviceKeyPath => Path.Combine(Home, "device-key.asc");

    [JsonIgnore]
    public string PinsPath => Path.Combine(Home, "pins.db");

    /// <summary>Senders' public keys and lookup times (no message content).</summary>
    [JsonIgnore]
    public string SignerKeysPath => Path.Combine(Home, "signer-keys.json");

    /// <summary>What listing found, encrypted to the user's own key (ReadCache).</summary>
    [JsonIgnore]
    public string ReadCachePath => Path.Combine(Home, "read-cache");

    [JsonIgnore]
    public string ListedFoldersPath => Path.Combine(Home, "listed.json");

    public static string ResolveHome(string? home) =>
        Path.GetFullPath(home ?? Environment.GetEnvironmentVariable("KEYPOST_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".keypost"));

    public static ClientProfile Load(string? home)
    {
        var directory = ResolveHome(home);
        var path = Path.Combine(directory, "profile.json");
        if (!File.Exists(path))
        {
            throw new CliException($"no Keypost profile in {directory} (run 'keypost client init')");
        }

        try
        {
            var profile = JsonSerializer.Deserialize<ClientProfile>(File.ReadAllText(path), Json) ?? new ClientProfile();
            profile.Home = directory;
            return profile;
        }
        catch (JsonException e)
        {
            throw new CliException($"{path}: {e.Message}");
        }
    }

    public void Save(string home)
    {
        Home = ResolveHome(home);
        System.IO.Directory.CreateDirectory(Home);
        File.SetUnixFileMode(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(Home, "profile.json"), JsonSerializer.Serialize(this, Json));
    }
}
