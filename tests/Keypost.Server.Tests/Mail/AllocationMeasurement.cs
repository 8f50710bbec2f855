namespace Keypost.Server.Tests.Mail;

/// <summary>
/// Tests that count the bytes the whole process allocates: they run alone, after the parallel tests, so no other
/// test's allocations are counted with theirs.
/// </summary>
[CollectionDefinition(nameof(AllocationMeasurement), DisableParallelization = true)]
public sealed class AllocationMeasurement;
