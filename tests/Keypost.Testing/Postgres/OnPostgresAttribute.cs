namespace Keypost.Testing.Postgres;

/// <summary>
/// Marks a test class whose inherited <see cref="ContractFactAttribute"/> tests run on PostgreSQL: they are skipped
/// when PostgreSQL is not installed, unless KEYPOST_REQUIRE_TOOLS=1, while the same tests on SQLite/Maildir run.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OnPostgresAttribute : Attribute;
