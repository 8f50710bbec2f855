namespace Keypost.Transparency.Log;

/// <summary>
/// Read access to the stored hashes of a log: the hash at a level and index is
/// MTH of the full subtree of leaves [index·2^level, (index+1)·2^level). Only complete subtrees are ever asked for.
/// </summary>
public interface ILogHashReader
{
    byte[] ReadHash(int level, long index);
}
