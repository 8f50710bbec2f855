using Keypost.Transparency.Log;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Transparency.Tests.Witness;

/// <summary>A small log that signs its checkpoints and builds add-checkpoint requests.</summary>
internal sealed class TestLog
{
    private readonly MemoryLogHashes _hashes = new();

    public TestLog(string origin = "example.test/log", byte[]? key = null)
    {
        Signer = new NoteSigner(origin, key ?? NoteSigner.GeneratePrivateKey());
    }

    public NoteSigner Signer { get; }

    public string Origin => Signer.Name;

    public WitnessedLog Witnessed => new(Origin, NoteVerifier.Parse(Signer.VerifierKey));

    public long Size => _hashes.Size;

    public void Append(int count, string salt = "")
    {
        for (var i = 0; i < count; i++)
        {
            _hashes.Append(MerkleHash.Leaf(System.Text.Encoding.UTF8.GetBytes($"entry {_hashes.Size}{salt}")));
        }
    }

    public string CheckpointNote() => Signer.Sign(new Checkpoint(Origin, Size, MerkleProofs.Root(_hashes, Size)).Format());

    public IReadOnlyList<byte[]> Consistency(long oldSize) => MerkleProofs.Consistency(_hashes, oldSize, Size);

    public string Request(long oldSize) =>
        new AddCheckpointRequest(oldSize, oldSize == 0 || oldSize == Size ? [] : MerkleProofs.Consistency(_hashes, oldSize, Size), CheckpointNote()).Format();
}
