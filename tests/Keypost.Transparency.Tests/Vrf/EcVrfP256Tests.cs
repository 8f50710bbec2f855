using System.Text.Json;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Tests.Vrf;

public sealed class EcVrfP256Tests
{
    public static TheoryData<int> Vectors() => [0, 1, 2];

    [Theory]
    [MemberData(nameof(Vectors))]
    public void RFC_9381_B1_vectors_prove_and_verify(int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("vrf", "ecvrf-p256-sha256-tai.json")));
        var v = json.RootElement.GetProperty("vectors")[index];
        byte[] Hex(string name) => Convert.FromHexString(v.GetProperty(name).GetString()!);

        Assert.Equal(Hex("pk"), EcVrfP256.PublicKey(Hex("sk")));
        var pi = EcVrfP256.Prove(Hex("sk"), Hex("alpha"));
        Assert.Equal(Convert.ToHexStringLower(Hex("pi")), Convert.ToHexStringLower(pi));
        Assert.Equal(Hex("beta"), EcVrfP256.Verify(Hex("pk"), Hex("alpha"), pi));
        Assert.Equal(Hex("beta"), EcVrfP256.ProofToHash(pi));
    }

    [Fact]
    public void A_proof_does_not_verify_for_another_input_key_or_a_flipped_bit()
    {
        var sk = EcVrfP256.GenerateSecretKey();
        var pk = EcVrfP256.PublicKey(sk);
        var pi = EcVrfP256.Prove(sk, "luke@jedi.test"u8);
        Assert.NotNull(EcVrfP256.Verify(pk, "luke@jedi.test"u8, pi));
        Assert.Null(EcVrfP256.Verify(pk, "leia@jedi.test"u8, pi));
        Assert.Null(EcVrfP256.Verify(EcVrfP256.PublicKey(EcVrfP256.GenerateSecretKey()), "luke@jedi.test"u8, pi));
        for (var i = 0; i < pi.Length; i += 7)
        {
            var bad = pi.ToArray();
            bad[i] ^= 0x01;
            Assert.Null(EcVrfP256.Verify(pk, "luke@jedi.test"u8, bad));
        }

        Assert.Null(EcVrfP256.Verify(pk, "luke@jedi.test"u8, pi[..^1]));
    }
}
