namespace Keypost.Transparency.Lookup;

/// <summary>The newest checkpoint a client has verified for a log: its size and root hash.</summary>
public sealed record TrustedCheckpoint(long Size, byte[] RootHash);
