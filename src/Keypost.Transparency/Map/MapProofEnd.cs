namespace Keypost.Transparency.Map;

/// <summary>What a prefix-tree search found where it stopped.</summary>
public enum MapProofEnd : byte
{
    /// <summary>The key's own leaf: the key is present.</summary>
    Leaf = 0,

    /// <summary>An empty subtree: the key is absent.</summary>
    Empty = 1,

    /// <summary>A leaf for another key with the same prefix: the key is absent.</summary>
    OtherLeaf = 2,
}
