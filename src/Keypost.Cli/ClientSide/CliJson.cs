using System.Text.Json;
using System.Text.Json.Nodes;

namespace Keypost.Cli.ClientSide;

/// <summary>
/// The `--json` output of the client commands: one JSON document on stdout, nothing else there; the schema is in
/// docs/cli-json.md. Field names are camelCase and stable; new fields may be added.
/// </summary>
public static class CliJson
{
    /// <summary>The schema version written as "schema" in every document.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static JsonObject Document(string kind) => new() { ["schema"] = SchemaVersion, ["kind"] = kind };

    public static Task WriteAsync(JsonNode document) => Console.Out.WriteLineAsync(document.ToJsonString(Options));

    /// <summary>camelCase of an enum value (EncryptedAndVerified becomes encryptedAndVerified).</summary>
    public static string Name<T>(T value)
        where T : struct, Enum
    {
        var text = value.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }

    public static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
