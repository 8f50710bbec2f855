using Keypost.Transparency.Log;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Server.Tests.Witness;

/// <summary>A log in memory that signs checkpoints and writes add-checkpoint bodies, to drive a witness.</summary>
internal sealed class SigningLog(string origin, byte[] key)
{
    private readonly MemoryLogHashes _hashes = new();

    public NoteSigner Signer { get; } = new(origin, key);

    public long Size => _hashes.Size;

    public void Append(int count, string salt = "")
    {
        for (var i = 0; i < count; i++)
        {
            _hashes.Append(MerkleHash.Leaf(System.Text.Encoding.UTF8.GetBytes($"entry {_hashes.Size}{salt}")));
        }
    }

    public string CheckpointNote() => Signer.Sign(new Checkpoint(Signer.Name, Size, MerkleProofs.Root(_hashes, Size)).Format());

    public string Request(long oldSize) =>
        new AddCheckpointRequest(oldSize, oldSize == 0 || oldSize == Size ? [] : MerkleProofs.Consistency(_hashes, oldSize, Size), CheckpointNote()).Format();
}
