using Keypost.Transparency.Log;

namespace Keypost.Transparency.Lookup;

/// <summary>One sealed epoch, to be stored: its log entry, the bindings it made current, the new log hashes and the checkpoint.</summary>
public sealed record SealedEpoch(EpochEntry Entry, byte[] EncodedEntry, IReadOnlyList<StagedBinding> Bindings, IReadOnlyList<LogNode> Nodes, string Checkpoint);
