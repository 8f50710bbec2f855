using System.Security.Cryptography;
using System.Text;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Tests.Lookup;

/// <summary>Every check, run once per VRF suite (P-256 logs made before the Ed25519 suite must keep working).</summary>
public abstract class LookupVerifierTests(VrfSuite suite)
{
    private const string Origin = "openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log";
    private const string Luke = "luke@jedi.test";
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private readonly KeyTransparencyLog _log = new(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()), suite, KtVrf.GenerateSecretKey(suite));
    private readonly byte[] _lukeCertificate = RandomNumberGenerator.GetBytes(700);
    private readonly byte[] _lukeFingerprint = RandomNumberGenerator.GetBytes(20);

    private LookupVerifier Verifier => new(NoteVerifier.Parse(_log.VerifierKey), Origin);

    private void PublishLuke()
    {
        _log.Stage(Luke, new Binding(1, _lukeFingerprint, SHA256.HashData(_lukeCertificate), false));
        _log.Stage("leia@jedi.test", new Binding(1, RandomNumberGenerator.GetBytes(20), RandomNumberGenerator.GetBytes(32), false));
        _log.Seal(Now);
    }

    [Fact]
    public void A_published_key_is_proved_and_the_proof_is_small()
    {
        PublishLuke();
        var proof = _log.Prove(Luke)!;
        var result = Verifier.VerifyCertificate(Luke, proof, null, Now, _lukeFingerprint, _lukeCertificate);
        Assert.Equal(1, result.Checkpoint.Size);
        Assert.Equal(0, result.Epoch.Epoch);
        Assert.Equal(1, result.Binding!.Version);
        Assert.Equal(suite, result.Epoch.Suite);
        Assert.True(proof.Length <= 1536, $"proof is {proof.Length} bytes");
    }

    [Fact]
    public void Another_certificate_than_the_logged_one_is_refused()
    {
        PublishLuke();
        var forged = RandomNumberGenerator.GetBytes(700);
        var e = Assert.Throws<LookupException>(() => Verifier.VerifyCertificate(Luke, _log.Prove(Luke)!, null, Now, _lukeFingerprint, forged));
        Assert.Equal(LookupCheck.CertificateMismatch, e.Check);
    }

    [Fact]
    public void An_address_without_a_binding_is_proved_absent_and_refused_as_not_in_the_log()
    {
        PublishLuke();
        var result = Verifier.Verify("han@jedi.test", _log.Prove("han@jedi.test")!, null, Now);
        Assert.Null(result.Binding);
        var e = Assert.Throws<LookupException>(() => Verifier.VerifyCertificate("han@jedi.test", _log.Prove("han@jedi.test")!, null, Now, _lukeFingerprint, _lukeCertificate));
        Assert.Equal(LookupCheck.NotInLog, e.Check);
    }

    [Fact]
    public void A_proof_for_one_address_does_not_verify_for_another()
    {
        PublishLuke();
        var e = Assert.Throws<LookupException>(() => Verifier.Verify("leia@jedi.test", _log.Prove(Luke)!, null, Now));
        Assert.Equal(LookupCheck.VrfProof, e.Check);
    }

    [Fact]
    public void A_checkpoint_signed_by_another_key_is_refused()
    {
        PublishLuke();
        var other = new LookupVerifier(NoteVerifier.Parse(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()).VerifierKey), Origin);
        var e = Assert.Throws<LookupException>(() => other.Verify(Luke, _log.Prove(Luke)!, null, Now));
        Assert.Equal(LookupCheck.CheckpointSignature, e.Check);
    }

    [Fact]
    public void A_smaller_checkpoint_than_the_one_held_is_a_rollback()
    {
        PublishLuke();
        var old = _log.Prove(Luke)!;
        _log.Stage(Luke, new Binding(2, _lukeFingerprint, SHA256.HashData(_lukeCertificate), false));
        _log.Seal(Now);
        var held = Verifier.Verify(Luke, _log.Prove(Luke)!, null, Now).Checkpoint;

        var e = Assert.Throws<LookupException>(() => Verifier.Verify(Luke, old, held, Now));
        Assert.Equal(LookupCheck.Rollback, e.Check);
    }

    [Fact]
    public void A_larger_checkpoint_needs_a_consistency_proof_from_the_one_held()
    {
        PublishLuke();
        var held = Verifier.Verify(Luke, _log.Prove(Luke)!, null, Now).Checkpoint;
        for (var i = 2; i < 6; i++)
        {
            _log.Stage(Luke, new Binding(i, _lukeFingerprint, SHA256.HashData(_lukeCertificate), false));
            _log.Seal(Now);
        }

        var withoutProof = Assert.Throws<LookupException>(() => Verifier.Verify(Luke, _log.Prove(Luke)!, held, Now));
        Assert.Equal(LookupCheck.Consistency, withoutProof.Check);
        var forged = Assert.Throws<LookupException>(() => Verifier.Verify(Luke, _log.Prove(Luke, 1)!, held with { RootHash = new byte[32] }, Now));
        Assert.Equal(LookupCheck.Consistency, forged.Check);
        var result = Verifier.Verify(Luke, _log.Prove(Luke, held.Size)!, held, Now);
        Assert.Equal(5, result.Checkpoint.Size);
        Assert.Equal(5, result.Binding!.Version);
    }

    [Fact]
    public void An_epoch_from_the_future_is_refused()
    {
        PublishLuke();
        var e = Assert.Throws<LookupException>(() => Verifier.Verify(Luke, _log.Prove(Luke)!, null, Now.AddHours(-1)));
        Assert.Equal(LookupCheck.FutureEpoch, e.Check);
    }

    [Fact]
    public void Every_truncation_and_a_trailing_byte_are_malformed_and_bit_flips_never_pass()
    {
        PublishLuke();
        var proof = _log.Prove(Luke)!;
        for (var length = 0; length < proof.Length; length++)
        {
            var e = Assert.Throws<LookupException>(() => Verifier.Verify(Luke, proof.AsSpan(0, length), null, Now));
            Assert.Equal(LookupCheck.Malformed, e.Check);
        }

        Assert.Equal(LookupCheck.Malformed, Assert.Throws<LookupException>(() => Verifier.Verify(Luke, [.. proof, 0], null, Now)).Check);
        for (var i = 0; i < proof.Length; i += 3)
        {
            var flipped = proof.ToArray();
            flipped[i] ^= 0x10;
            var passed = Record.Exception(() => Verifier.VerifyCertificate(Luke, flipped, null, Now, _lukeFingerprint, _lukeCertificate)) is null;
            Assert.False(passed, $"a flip at byte {i} of {proof.Length} passed");
        }
    }

    [Fact]
    public void A_proof_for_Luke_holds_no_other_address_nor_its_WKD_hash()
    {
        PublishLuke();
        var proof = _log.Prove(Luke)!;
        var leiaWkdDigest = SHA1.HashData("leia"u8);
        Assert.Equal(-1, proof.AsSpan().IndexOf("leia"u8));
        Assert.Equal(-1, proof.AsSpan().IndexOf(leiaWkdDigest));
        Assert.Equal(-1, proof.AsSpan().IndexOf(Encoding.ASCII.GetBytes("jedi.test/hu")));
        // Not even Luke's own address travels: the client knows it.
        Assert.Equal(-1, proof.AsSpan().IndexOf("luke"u8));
    }
}
