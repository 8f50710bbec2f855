namespace Keypost.Transparency.Witness;

/// <summary>What comparing two checkpoints of one log showed.</summary>
public enum CheckpointComparison
{
    /// <summary>The same tree: same size and root.</summary>
    Same,

    /// <summary>Different sizes, and a consistency proof shows the larger extends the smaller.</summary>
    Consistent,

    /// <summary>Different sizes and no consistency proof given: nothing is shown either way.</summary>
    Unproven,

    /// <summary>Two signed trees the log cannot both have grown: same size with different roots, or a failed proof.</summary>
    Fork,
}
