namespace Keypost.Store;

/// <summary>What a copy or move did: the target's UIDVALIDITY and the source and new UIDs, pairwise (RFC 4315 COPYUID).</summary>
public sealed record CopyResult(uint UidValidity, IReadOnlyList<uint> SourceUids, IReadOnlyList<uint> TargetUids);
