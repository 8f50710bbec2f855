namespace Keypost.Transparency.Log;

/// <summary>One stored hash: MTH of the full subtree at <see cref="Level"/> and <see cref="Index"/>.</summary>
public sealed record LogNode(int Level, long Index, byte[] Hash);
