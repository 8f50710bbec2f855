using System.Text.Json.Serialization;

namespace Keypost.Server.Configuration;

/// <summary>
/// Where the server keeps its state (docs/postgres.md): "sqlite" (the default: SQLite files and Maildirs under
/// dataDirectory, one node) or "postgres" (one PostgreSQL database shared by several nodes).
/// </summary>
public sealed class StorageConfig
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public string Kind { get; set; } = Sqlite;

    /// <summary>An Npgsql connection string (<c>Host=...;Database=...;Username=...</c>); required with kind "postgres".</summary>
    public string? ConnectionString { get; set; }

    [JsonIgnore]
    public bool IsPostgres => Kind == Postgres;
}
