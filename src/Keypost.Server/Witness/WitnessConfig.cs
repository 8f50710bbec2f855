using System.Text.Json;
using Keypost.Server.Configuration;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Server.Witness;

/// <summary>
/// The configuration file of <c>keypost witness serve</c> (JSON). Relative paths are relative to the file.
/// A witness is its own small service: it shares no state with a Keypost mail server.
/// </summary>
public sealed class WitnessConfig
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The witness's key name (C2SP tlog-cosignature: a schema-less URL naming the cosigner).</summary>
    public string Name { get; set; } = "";

    /// <summary>The SQLite file holding the witness key and, per log, the newest cosigned checkpoint.</summary>
    public string Database { get; set; } = "witness.db";

    /// <summary>Plain-HTTP listeners ("127.0.0.1:7380"); checkpoints and cosignatures are public and self-authenticating.</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>The logs this witness cosigns, each by its C2SP vkey (the key name is the log's origin).</summary>
    public List<string> Logs { get; set; } = [];

    /// <summary>Checkpoints accepted per log and minute (0 = no limit).</summary>
    public int CheckpointsPerMinute { get; set; } = 60;

    public int Burst { get; set; } = 10;

    public static WitnessConfig Load(string path)
    {
        WitnessConfig config;
        try
        {
            config = JsonSerializer.Deserialize<WitnessConfig>(File.ReadAllText(path), JsonOptions)
                ?? throw new ConfigException($"{path}: empty configuration");
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path}: {e.Message}");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        config.Database = Path.Combine(directory, config.Database);
        config.Validate();
        return config;
    }

    public void Validate()
    {
        try
        {
            NoteKeys.CheckName(Name);
        }
        catch (NoteFormatException e)
        {
            throw new ConfigException("witness name: " + e.Message);
        }

        foreach (var listen in Listen)
        {
            if (!ListenAddress.TryParse(listen, out _))
            {
                throw new ConfigException($"listen: '{listen}' is not an address:port");
            }
        }

        _ = WitnessedLogs();
    }

    public IReadOnlyList<WitnessedLog> WitnessedLogs()
    {
        var logs = new List<WitnessedLog>();
        foreach (var vkey in Logs)
        {
            try
            {
                var key = NoteVerifier.Parse(vkey.Trim());
                logs.Add(new WitnessedLog(key.Name, key));
            }
            catch (NoteFormatException e)
            {
                throw new ConfigException($"logs: '{vkey}': {e.Message}");
            }
        }

        if (logs.Select(l => l.Origin).Distinct(StringComparer.Ordinal).Count() != logs.Count)
        {
            throw new ConfigException("logs: one key per origin");
        }

        return logs;
    }

    public LogRateLimit RateLimit => new(CheckpointsPerMinute, Burst);
}
