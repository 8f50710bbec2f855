namespace Keypost.Directory.Transparency;

/// <summary>How often the directory looks for changes and how long it lets the log go without an epoch.</summary>
public sealed record TransparencyOptions
{
    /// <summary>Changes are looked for this often; issue #8 asks a published key be provable within 5 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An epoch is sealed at least this often even without changes, so that clients see a fresh checkpoint.</summary>
    public TimeSpan EpochInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Witnesses each new checkpoint is submitted to (C2SP tlog-witness); none by default.</summary>
    public IReadOnlyList<WitnessEndpoint> Witnesses { get; init; } = [];
}
