using System.Security.Cryptography;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Tests.Lookup;

/// <summary>The bytes that record a log's VRF suite (docs/transparency.md, "Cipher suites").</summary>
public sealed class VrfSuiteFormatTests
{
    private const string Origin = "openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log";
    private const string Luke = "luke@jedi.test";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static KeyTransparencyLog SealedLog(VrfSuite suite, out string verifierKey)
    {
        var log = new KeyTransparencyLog(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()), suite, KtVrf.GenerateSecretKey(suite));
        log.Stage(Luke, new Binding(1, RandomNumberGenerator.GetBytes(20), RandomNumberGenerator.GetBytes(32), false));
        log.Seal(Now);
        verifierKey = log.VerifierKey;
        return log;
    }

    [Fact]
    public void New_logs_default_to_Ed25519_and_the_old_constructor_still_means_P256()
    {
        Assert.Equal(VrfSuite.Ed25519, KtVrf.DefaultSuite);
        var old = new KeyTransparencyLog(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()), EcVrfP256.GenerateSecretKey());
        Assert.Equal(VrfSuite.P256, old.Suite);
        Assert.Equal(EcVrfP256.PublicKeyLength, old.VrfPublicKey.Length);
    }

    [Fact]
    public void P256_logs_keep_format_1_byte_for_byte()
    {
        var log = SealedLog(VrfSuite.P256, out _);
        var proof = log.Prove(Luke)!;
        Assert.Equal("KPLP\u0001"u8.ToArray(), proof[..5]);
        var decoded = LookupProofCodec.Decode(proof);
        Assert.Equal(VrfSuite.P256, decoded.Suite);
        Assert.Equal(EcVrfP256.ProofLength, decoded.VrfProof.Length);
        Assert.Equal(EpochEntry.Length, decoded.Entry.Length);
        Assert.Equal(EpochEntry.FormatVersion, decoded.Entry[0]);
        Assert.Equal(proof, LookupProofCodec.Encode(decoded));
    }

    [Fact]
    public void Ed25519_logs_write_format_2_with_the_suite_number()
    {
        var log = SealedLog(VrfSuite.Ed25519, out _);
        var proof = log.Prove(Luke)!;
        Assert.Equal("KPLP\u0002\u0000\u0002"u8.ToArray(), proof[..7]);
        var decoded = LookupProofCodec.Decode(proof);
        Assert.Equal(EcVrfEd25519.ProofLength, decoded.VrfProof.Length);
        Assert.Equal(83, decoded.Entry.Length);
        Assert.Equal([0x02, 0x00, 0x02], decoded.Entry[..3]);
        var entry = EpochEntry.TryDecode(decoded.Entry)!;
        Assert.Equal(VrfSuite.Ed25519, entry.Suite);
        Assert.Equal(log.VrfPublicKey, entry.VrfPublicKey);
        Assert.Equal(decoded.Entry, entry.Encode());
        Assert.Equal(proof, LookupProofCodec.Encode(decoded));
    }

    [Fact]
    public void Unknown_or_doubly_encoded_suites_are_malformed()
    {
        var proof = SealedLog(VrfSuite.Ed25519, out var vkey).Prove(Luke)!;
        var verifier = new LookupVerifier(NoteVerifier.Parse(vkey), Origin);

        var unknown = proof.ToArray();
        unknown[6] = 0x03;
        Assert.Equal(LookupCheck.Malformed, Assert.Throws<LookupException>(() => verifier.Verify(Luke, unknown, null, Now)).Check);

        // Format 2 naming P-256 would give P-256 proofs a second encoding.
        var p256InFormat2 = proof.ToArray();
        p256InFormat2[6] = 0x01;
        Assert.Equal(LookupCheck.Malformed, Assert.Throws<LookupException>(() => verifier.Verify(Luke, p256InFormat2, null, Now)).Check);

        Assert.Null(EpochEntry.TryDecode([0x02, 0x00, 0x01, .. new byte[80]]));
        Assert.Null(EpochEntry.TryDecode([0x02, 0x00, 0x07, .. new byte[80]]));
        Assert.Null(EpochEntry.TryDecode([0x03, .. new byte[81]]));
    }

    [Fact]
    public void A_proof_whose_suite_differs_from_the_logged_entry_is_refused()
    {
        var p256 = SealedLog(VrfSuite.P256, out _);
        var ed25519 = SealedLog(VrfSuite.Ed25519, out var vkey);
        var genuine = LookupProofCodec.Decode(ed25519.Prove(Luke)!);
        // An Ed25519 proof wrapped around a P-256 entry: the codec reads it, the verifier refuses it.
        var p256Entry = LookupProofCodec.Decode(p256.Prove(Luke)!).Entry;
        var mixed = LookupProofCodec.Encode(genuine with { Entry = p256Entry });
        var e = Assert.Throws<LookupException>(() => new LookupVerifier(NoteVerifier.Parse(vkey), Origin).Verify(Luke, mixed, null, Now));
        Assert.Equal(LookupCheck.Malformed, e.Check);
    }

    [Fact]
    public void Restoring_an_epoch_of_another_suite_or_VRF_key_fails()
    {
        var ed25519 = SealedLog(VrfSuite.Ed25519, out _);
        var entry = LookupProofCodec.Decode(ed25519.Prove(Luke)!).Entry;
        var p256 = new KeyTransparencyLog(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()), VrfSuite.P256, KtVrf.GenerateSecretKey(VrfSuite.P256));
        Assert.Contains("another VRF key or suite", Assert.Throws<InvalidOperationException>(() => p256.Restore([], entry)).Message);
        var otherKey = new KeyTransparencyLog(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()), VrfSuite.Ed25519, KtVrf.GenerateSecretKey(VrfSuite.Ed25519));
        Assert.Contains("another VRF key or suite", Assert.Throws<InvalidOperationException>(() => otherKey.Restore([], entry)).Message);
    }
}
