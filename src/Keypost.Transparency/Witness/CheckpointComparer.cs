using System.Security.Cryptography;
using Keypost.Transparency.Log;
using Keypost.Transparency.Notes;

namespace Keypost.Transparency.Witness;

/// <summary>
/// Gossip between two holders of checkpoints of one log: both must verify with the log's key; the same size with
/// two roots is a fork, signed by the log itself (evidence anyone can check); different sizes need an RFC 9162
/// §2.1.4 consistency proof from the smaller to the larger.
/// </summary>
public static class CheckpointComparer
{
    public static (CheckpointComparison Result, string Detail) Compare(
        NoteVerifier logKey, string noteA, string noteB, IReadOnlyList<byte[]>? consistency = null)
    {
        var a = Checkpoint.Parse(logKey.Verify(System.Text.Encoding.UTF8.GetBytes(noteA)).Text);
        var b = Checkpoint.Parse(logKey.Verify(System.Text.Encoding.UTF8.GetBytes(noteB)).Text);
        if (a.Origin != logKey.Name || b.Origin != logKey.Name)
        {
            throw new NoteFormatException($"a checkpoint names another log than {logKey.Name}");
        }

        if (a.Size == b.Size)
        {
            return CryptographicOperations.FixedTimeEquals(a.RootHash, b.RootHash)
                ? (CheckpointComparison.Same, $"the same tree of size {a.Size}")
                : (CheckpointComparison.Fork, $"two different trees of size {a.Size}, both signed by {logKey.Name}: the log forked (a split view)");
        }

        var (small, large) = a.Size < b.Size ? (a, b) : (b, a);
        if (consistency is null)
        {
            return (CheckpointComparison.Unproven, $"sizes {small.Size} and {large.Size}; no consistency proof to compare them");
        }

        if (small.Size == 0)
        {
            return (CheckpointComparison.Consistent, $"size 0 is extended by any tree");
        }

        return MerkleProofs.VerifyConsistency(small.Size, large.Size, small.RootHash, large.RootHash, consistency)
            ? (CheckpointComparison.Consistent, $"size {large.Size} extends size {small.Size}")
            : (CheckpointComparison.Fork, $"size {large.Size} does not extend size {small.Size}: the log forked (a split view)");
    }
}
