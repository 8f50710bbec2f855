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

    /// <summary>
    /// With "postgres": how long a node's claim on a queued message lasts, in seconds. A node that dies mid-delivery
    /// holds its messages this long; keep it above one delivery attempt with its SMTP timeouts (docs/postgres.md).
    /// </summary>
    public int QueueLeaseSeconds { get; set; } = 600;

    [JsonIgnore]
    public bool IsPostgres => Kind == Postgres;
}
