namespace Keypost.Fuzz.Tests;

/// <summary>One set of harnesses for the whole class: the session harnesses are costly to make.</summary>
public sealed class FuzzTargetsFixture : IDisposable
{
    public FuzzTargets Targets { get; } = new();

    public void Dispose() => Targets.Dispose();
}
