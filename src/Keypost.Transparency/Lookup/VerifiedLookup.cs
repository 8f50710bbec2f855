using Keypost.Transparency.Map;

namespace Keypost.Transparency.Lookup;

/// <summary>What a verified lookup proves: the log's checkpoint and newest epoch, and the address's binding there.</summary>
public sealed record VerifiedLookup(TrustedCheckpoint Checkpoint, string CheckpointNote, EpochEntry Epoch, Binding? Binding);
