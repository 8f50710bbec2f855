using System.Text.Json;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Tests.Vrf;

public sealed class EcVrfEd25519Tests
{
    public static TheoryData<int> Vectors() => [0, 1, 2];

    [Theory]
    [MemberData(nameof(Vectors))]
    public void RFC_9381_B3_vectors_prove_and_verify(int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("vrf", "ecvrf-edwards25519-sha512-tai.json")));
        var v = json.RootElement.GetProperty("vectors")[index];
        byte[] Hex(string name) => Convert.FromHexString(v.GetProperty(name).GetString()!);

        Assert.Equal(Hex("pk"), EcVrfEd25519.PublicKey(Hex("sk")));
        var pi = EcVrfEd25519.Prove(Hex("sk"), Hex("alpha"));
        Assert.Equal(Convert.ToHexStringLower(Hex("pi")), Convert.ToHexStringLower(pi));
        // Gamma = x·H: the proof's first 32 bytes.
        Assert.Equal(Convert.ToHexStringLower(Hex("beta")), Convert.ToHexStringLower(EcVrfEd25519.Verify(Hex("pk"), Hex("alpha"), pi)!));
        Assert.Equal(Hex("beta"), EcVrfEd25519.ProofToHash(pi));
        Assert.Equal(Hex("beta"), EcVrfEd25519.Verify(Hex("pk"), Hex("alpha"), Hex("pi")));
        // The log's path, which passes the public key it holds instead of recomputing it.
        Assert.Equal(Hex("pi"), KtVrf.Prove(VrfSuite.Ed25519, Hex("sk"), Hex("pk"), Hex("alpha")));
        Assert.Equal(Hex("beta")[..32], KtVrf.Verify(VrfSuite.Ed25519, Hex("pk"), Hex("alpha"), pi));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void An_append_evaluates_the_output_only_and_a_lookup_finishes_the_very_proof_of_the_RFC(int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("vrf", "ecvrf-edwards25519-sha512-tai.json")));
        var v = json.RootElement.GetProperty("vectors")[index];
        byte[] Hex(string name) => Convert.FromHexString(v.GetProperty(name).GetString()!);

        var unfinished = KtVrf.Evaluate(VrfSuite.Ed25519, Hex("sk"), Hex("pk"), Hex("alpha"), out var mapKey);

        // The output, hence the map key, is already the RFC's; Gamma, c and s are not there yet.
        Assert.Equal(Hex("beta")[..32], mapKey);
        EcVrfEd25519.Evaluate(Hex("sk"), Hex("pk"), Hex("alpha"), out var beta);
        Assert.Equal(Hex("beta"), beta);
        Assert.Equal(new byte[80], unfinished);
        Assert.False(KtVrf.IsFinished(VrfSuite.Ed25519, unfinished));
        Assert.Null(EcVrfEd25519.Verify(Hex("pk"), Hex("alpha"), unfinished));
        var finished = KtVrf.Finish(VrfSuite.Ed25519, Hex("sk"), Hex("pk"), Hex("alpha"), unfinished);
        Assert.Equal(Convert.ToHexStringLower(Hex("pi")), Convert.ToHexStringLower(finished));
        Assert.True(KtVrf.IsFinished(VrfSuite.Ed25519, finished));
        Assert.Same(finished, KtVrf.Finish(VrfSuite.Ed25519, Hex("sk"), Hex("pk"), Hex("alpha"), finished));

        // A row stored before appends stopped computing Gamma holds the real Gamma: it finishes the same.
        var stored = new byte[80];
        Hex("pi").AsSpan(0, 32).CopyTo(stored);
        Assert.Equal(Hex("pi"), KtVrf.Finish(VrfSuite.Ed25519, Hex("sk"), Hex("pk"), Hex("alpha"), stored));
    }

    [Fact]
    public void A_forged_gamma_finishes_into_a_proof_that_does_not_verify()
    {
        var sk = EcVrfEd25519.GenerateSecretKey();
        var pk = EcVrfEd25519.PublicKey(sk);
        // Leia's Gamma put in Luke's unfinished row (a database edit; rows stored before appends stopped computing
        // Gamma hold one): the finished proof must not pass for Luke.
        var forged = new byte[80];
        EcVrfEd25519.Prove(sk, "leia@jedi.test"u8).AsSpan(0, 32).CopyTo(forged);
        var finished = KtVrf.Finish(VrfSuite.Ed25519, sk, pk, "luke@jedi.test"u8, forged);

        Assert.Null(EcVrfEd25519.Verify(pk, "luke@jedi.test"u8, finished));
        Assert.NotNull(EcVrfEd25519.Verify(pk, "luke@jedi.test"u8, EcVrfEd25519.Prove(sk, "luke@jedi.test"u8)));
    }

    [Fact]
    public void A_proof_does_not_verify_for_another_input_key_or_a_flipped_bit()
    {
        var sk = EcVrfEd25519.GenerateSecretKey();
        var pk = EcVrfEd25519.PublicKey(sk);
        var pi = EcVrfEd25519.Prove(sk, "luke@jedi.test"u8);
        Assert.NotNull(EcVrfEd25519.Verify(pk, "luke@jedi.test"u8, pi));
        Assert.Null(EcVrfEd25519.Verify(pk, "leia@jedi.test"u8, pi));
        Assert.Null(EcVrfEd25519.Verify(EcVrfEd25519.PublicKey(EcVrfEd25519.GenerateSecretKey()), "luke@jedi.test"u8, pi));
        for (var i = 0; i < pi.Length; i++)
        {
            var bad = pi.ToArray();
            bad[i] ^= 0x01;
            Assert.Null(EcVrfEd25519.Verify(pk, "luke@jedi.test"u8, bad));
        }

        Assert.Null(EcVrfEd25519.Verify(pk, "luke@jedi.test"u8, pi[..^1]));
        Assert.Null(EcVrfEd25519.Verify(pk[..^1], "luke@jedi.test"u8, pi));
    }

    [Fact]
    public void Small_order_or_non_canonical_keys_and_unreduced_scalars_are_refused()
    {
        var sk = EcVrfEd25519.GenerateSecretKey();
        var pk = EcVrfEd25519.PublicKey(sk);
        var pi = EcVrfEd25519.Prove(sk, "luke@jedi.test"u8);

        // RFC 9381 §5.4.5: the identity and the order-4 point (y = 0) fail validate_key.
        byte[] identity = [0x01, .. new byte[31]];
        byte[] orderFour = [.. new byte[31], 0x80];
        Assert.Null(EcVrfEd25519.Verify(identity, "luke@jedi.test"u8, pi));
        Assert.Null(EcVrfEd25519.Verify(orderFour, "luke@jedi.test"u8, pi));
        // y = p + 1 does not decode (RFC 8032 §5.1.3).
        byte[] unreduced = [0xee, .. Enumerable.Repeat((byte)0xff, 30), 0x7f];
        Assert.Null(EcVrfEd25519.Verify(unreduced, "luke@jedi.test"u8, pi));

        // s + L is the same scalar mod L, but RFC 9381 §5.3 step 5 refuses s >= q.
        var sPlusOrder = new System.Numerics.BigInteger(pi.AsSpan(48), isUnsigned: true)
            + System.Numerics.BigInteger.Pow(2, 252) + System.Numerics.BigInteger.Parse("27742317777372353535851937790883648493");
        var malleated = pi.ToArray();
        sPlusOrder.TryWriteBytes(malleated.AsSpan(48), out _, isUnsigned: true);
        Assert.Null(EcVrfEd25519.Verify(pk, "luke@jedi.test"u8, malleated));

        // A Gamma of small order in place of the proof's.
        var smallGamma = pi.ToArray();
        identity.CopyTo(smallGamma, 0);
        Assert.Null(EcVrfEd25519.Verify(pk, "luke@jedi.test"u8, smallGamma));
    }
}
