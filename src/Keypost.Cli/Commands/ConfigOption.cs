using System.CommandLine;

namespace Keypost.Cli.Commands;

/// <summary>--config FILE, defaulting to $KEYPOST_CONFIG, then ./keypost.json.</summary>
public static class ConfigOption
{
    public static Option<string?> Create() =>
        new("--config", "-c") { Description = "Configuration file (default: $KEYPOST_CONFIG or ./keypost.json)" };

    public static string Resolve(string? value)
    {
        var path = value ?? Environment.GetEnvironmentVariable("KEYPOST_CONFIG") ?? "keypost.json";
        return File.Exists(path) ? path : throw new CliException($"configuration file '{path}' not found (use --config)");
    }
}
