using Xunit.Sdk;

namespace Keypost.Testing.Postgres;

/// <summary>
/// A fact of a contract shared by several storage kinds (an abstract test class with one subclass per kind): it runs
/// in each subclass, and is skipped in a subclass marked <see cref="OnPostgresAttribute"/> when PostgreSQL is missing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Keypost.Testing.Postgres.ContractFactDiscoverer", "Keypost.Testing")]
public sealed class ContractFactAttribute : FactAttribute;
