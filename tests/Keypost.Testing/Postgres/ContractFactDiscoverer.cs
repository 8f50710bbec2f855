using Xunit.Abstractions;
using Xunit.Sdk;

namespace Keypost.Testing.Postgres;

/// <summary>Finds <see cref="ContractFactAttribute"/> tests; the skip depends on the test class, which only a discoverer sees.</summary>
public sealed class ContractFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        ArgumentNullException.ThrowIfNull(discoveryOptions);
        ArgumentNullException.ThrowIfNull(testMethod);
        var display = discoveryOptions.MethodDisplayOrDefault();
        var displayOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        var onPostgres = testMethod.TestClass.Class.GetCustomAttributes(typeof(OnPostgresAttribute).AssemblyQualifiedName).Any();
        if (onPostgres && PostgresCluster.Missing is { } missing && !ExternalTool.Required)
        {
            return [new XunitSkippedDataRowTestCase(diagnosticMessageSink, display, displayOptions, testMethod, "missing: " + missing)];
        }

        return [new XunitTestCase(diagnosticMessageSink, display, displayOptions, testMethod)];
    }
}
