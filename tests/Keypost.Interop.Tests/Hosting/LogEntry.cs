using System.Text.Json;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>Reading one line of Microsoft.Extensions.Logging's JSON console format (EventId, LogLevel, Message, State).</summary>
public static class LogEntry
{
    public static int EventId(JsonElement entry) => entry.GetProperty("EventId").GetInt32();

    public static string Level(JsonElement entry) => entry.GetProperty("LogLevel").GetString()!;

    public static string Message(JsonElement entry) => entry.GetProperty("Message").GetString()!;

    public static DateTimeOffset Time(JsonElement entry) => entry.GetProperty("Timestamp").GetDateTimeOffset();

    /// <summary>A structured value of the line as text, or null when it has none of that name.</summary>
    public static string? State(JsonElement entry, string name) =>
        entry.TryGetProperty("State", out var state) && state.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;
}
