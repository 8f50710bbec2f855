using System.Text;
using Keypost.Transparency.Notes;

namespace Keypost.Transparency.Tests.Notes;

public sealed class SignedNoteTests
{
    [Fact]
    public void The_C2SP_example_note_verifies_with_its_vkey()
    {
        var verifier = NoteVerifier.Parse(File.ReadAllText(TestData.Path("c2sp", "signed-note-example.vkey")).Trim());
        var note = verifier.Verify(File.ReadAllBytes(TestData.Path("c2sp", "signed-note-example.note")));
        Assert.Equal("This is an example message.\n", note.Text);
        Assert.Equal(0x530d903au, verifier.KeyId);
    }

    [Fact]
    public void An_altered_example_note_is_refused()
    {
        var verifier = NoteVerifier.Parse(File.ReadAllText(TestData.Path("c2sp", "signed-note-example.vkey")).Trim());
        var text = File.ReadAllText(TestData.Path("c2sp", "signed-note-example.note")).Replace("example", "exemple", StringComparison.Ordinal);
        Assert.Throws<NoteFormatException>(() => verifier.Verify(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void The_C2SP_checkpoint_example_parses()
    {
        var note = SignedNote.Parse(File.ReadAllBytes(TestData.Path("c2sp", "tlog-checkpoint-example.note")));
        var checkpoint = Checkpoint.Parse(note.Text);
        Assert.Equal("example.com/behind-the-sofa", checkpoint.Origin);
        Assert.Equal(20852163, checkpoint.Size);
        Assert.Equal("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", Convert.ToBase64String(checkpoint.RootHash));
        Assert.Equal("example.com/behind-the-sofa", note.Signatures[0].KeyName);
        Assert.Equal(note.Text, checkpoint.Format());
    }

    [Fact]
    public void Signed_checkpoints_verify_only_with_their_own_key()
    {
        var signer = new NoteSigner("openpgpkey.jedi.test/log", NoteSigner.GeneratePrivateKey());
        var other = new NoteSigner("openpgpkey.jedi.test/log", NoteSigner.GeneratePrivateKey());
        var note = signer.Sign(new Checkpoint("openpgpkey.jedi.test/log", 3, new byte[32]).Format());

        Assert.Equal(3, Checkpoint.Parse(NoteVerifier.Parse(signer.VerifierKey).Verify(Encoding.UTF8.GetBytes(note)).Text).Size);
        Assert.Throws<NoteFormatException>(() => NoteVerifier.Parse(other.VerifierKey).Verify(Encoding.UTF8.GetBytes(note)));
    }

    [Theory]
    [InlineData("no blank line\n\u2014 a AAAAAAA=\n")]
    [InlineData("text\n\n")]
    [InlineData("text\n\n\u2014 a AAAAAAA=")]
    [InlineData("text\n\n- a AAAAAAA=\n")]
    [InlineData("text\n\n\u2014 a !!!\n")]
    [InlineData("te\u0001xt\n\n\u2014 a AAAAAAA=\n")]
    public void Malformed_notes_are_refused(string note) =>
        Assert.Throws<NoteFormatException>(() => SignedNote.Parse(note));

    [Theory]
    [InlineData("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")]
    [InlineData("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")]
    [InlineData("example.com/foo+530d903a")]
    [InlineData("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")]
    public void Malformed_vkeys_are_refused(string vkey) =>
        Assert.Throws<NoteFormatException>(() => NoteVerifier.Parse(vkey));

    [Theory]
    [InlineData("o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n1\nAAAA\n")]
    [InlineData("o\n1\n")]
    public void Malformed_checkpoints_are_refused(string text) =>
        Assert.Throws<NoteFormatException>(() => Checkpoint.Parse(text));
}
