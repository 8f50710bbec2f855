using Keypost.Transparency.Log;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Transparency.Tests.Witness;

/// <summary>Issue #11 (c): a split view is refused by the witness, by a client's quorum, and found by comparing.</summary>
public sealed class SplitViewTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public async Task A_checkpoint_the_witness_refused_fails_the_client_quorum_naming_the_check()
    {
        var key = NoteSigner.GeneratePrivateKey();
        var shownToLeia = new TestLog(key: key);
        var shownToLuke = new TestLog(key: key);
        shownToLeia.Append(5);
        shownToLuke.Append(5, salt: "-forged");
        var cosigner = new Cosigner("witness.test/w1", NoteSigner.GeneratePrivateKey());
        var witness = new LogWitness(cosigner, [shownToLeia.Witnessed], new MemoryWitnessStore(), new LogRateLimit(0), new FakeTimeProvider(Now));

        var first = await witness.AddCheckpointAsync(shownToLeia.Request(0), CancellationToken.None);
        var second = await witness.AddCheckpointAsync(shownToLuke.Request(5), CancellationToken.None);
        Assert.Equal(200, first.Status);
        Assert.Equal(409, second.Status);

        var quorum = CosignatureQuorum.Default([CosignatureVerifier.Parse(cosigner.VerifierKey)]);
        var leias = SignedNote.Parse(shownToLeia.CheckpointNote() + first.Body);
        Assert.Equal(["witness.test/w1"], quorum.Check(leias, Now));

        var lukes = SignedNote.Parse(shownToLuke.CheckpointNote());
        var refused = Assert.Throws<LookupException>(() => quorum.Check(lukes, Now));
        Assert.Equal(LookupCheck.WitnessQuorum, refused.Check);
        Assert.StartsWith("witness quorum: ", refused.Message, StringComparison.Ordinal);

        // Leia's cosignature pasted onto Luke's checkpoint does not count.
        var pasted = SignedNote.Parse(shownToLuke.CheckpointNote() + first.Body);
        Assert.Throws<LookupException>(() => quorum.Check(pasted, Now));
    }

    [Fact]
    public void A_quorum_of_two_needs_two_distinct_trusted_witnesses()
    {
        var log = new TestLog();
        log.Append(3);
        var w1 = new Cosigner("witness.test/w1", NoteSigner.GeneratePrivateKey());
        var w2 = new Cosigner("witness.test/w2", NoteSigner.GeneratePrivateKey());
        var untrusted = new Cosigner("witness.test/w3", NoteSigner.GeneratePrivateKey());
        var note = SignedNote.Parse(log.CheckpointNote());
        var quorum = new CosignatureQuorum([CosignatureVerifier.Parse(w1.VerifierKey), CosignatureVerifier.Parse(w2.VerifierKey)], 2);
        var oneAndStranger = new SignedNote(note.Text, [.. note.Signatures, w1.Cosign(note.Text, Now.ToUnixTimeSeconds()), untrusted.Cosign(note.Text, Now.ToUnixTimeSeconds())]);
        Assert.Throws<LookupException>(() => quorum.Check(oneAndStranger, Now));

        var both = new SignedNote(note.Text, [.. oneAndStranger.Signatures, w2.Cosign(note.Text, Now.ToUnixTimeSeconds())]);
        Assert.Equal(2, quorum.Check(both, Now).Count);

        // A cosignature dated an hour ahead is not counted.
        var future = new SignedNote(note.Text, [.. note.Signatures, w1.Cosign(note.Text, Now.AddHours(1).ToUnixTimeSeconds()), w2.Cosign(note.Text, Now.ToUnixTimeSeconds())]);
        Assert.Throws<LookupException>(() => quorum.Check(future, Now));
    }

    [Fact]
    public void Two_clients_comparing_their_checkpoints_detect_the_fork()
    {
        var key = NoteSigner.GeneratePrivateKey();
        var a = new TestLog(key: key);
        var b = new TestLog(key: key);
        a.Append(7);
        b.Append(7, salt: "-forged");
        var logKey = NoteVerifier.Parse(a.Signer.VerifierKey);

        Assert.Equal(CheckpointComparison.Same, CheckpointComparer.Compare(logKey, a.CheckpointNote(), a.CheckpointNote()).Result);
        var (result, detail) = CheckpointComparer.Compare(logKey, a.CheckpointNote(), b.CheckpointNote());
        Assert.Equal(CheckpointComparison.Fork, result);
        Assert.Contains("size 7", detail, StringComparison.Ordinal);

        var older = a.CheckpointNote();
        a.Append(4);
        Assert.Equal(CheckpointComparison.Unproven, CheckpointComparer.Compare(logKey, older, a.CheckpointNote()).Result);
        Assert.Equal(CheckpointComparison.Consistent, CheckpointComparer.Compare(logKey, older, a.CheckpointNote(), a.Consistency(7)).Result);
        b.Append(4, salt: "-forged");
        Assert.Equal(CheckpointComparison.Fork, CheckpointComparer.Compare(logKey, older, b.CheckpointNote(), b.Consistency(7)).Result);
    }
}
