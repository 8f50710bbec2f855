using Keypost.Transparency.Map;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// What a verified lookup proves: the log's checkpoint and newest epoch, and the address's binding there;
/// <see cref="Proof"/> is the decoded proof itself (a sender re-sends it inside a message, <see cref="MessageKeyProof"/>).
/// </summary>
public sealed record VerifiedLookup(TrustedCheckpoint Checkpoint, string CheckpointNote, EpochEntry Epoch, Binding? Binding)
{
    public LookupProof? Proof { get; init; }
}
