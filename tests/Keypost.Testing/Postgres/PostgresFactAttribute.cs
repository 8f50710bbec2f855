namespace Keypost.Testing.Postgres;

/// <summary>A fact that needs a PostgreSQL server: skipped when it is not installed, unless KEYPOST_REQUIRE_TOOLS=1.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresCluster.Missing is { } missing && !ExternalTool.Required)
        {
            Skip = "missing: " + missing;
        }
    }
}
