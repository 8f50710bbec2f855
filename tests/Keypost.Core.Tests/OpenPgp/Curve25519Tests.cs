using System.Security.Cryptography;
using System.Text.Json;
using Keypost.Core.OpenPgp.Streaming;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Keypost.Core.Tests.OpenPgp;

/// <summary>
/// libsodium's X25519 and Ed25519 (<see cref="Curve25519"/>) against the RFCs' vectors
/// (tests/testdata/curve25519/vectors.json, sources named there) and against BouncyCastle on random keys.
/// </summary>
public sealed class Curve25519Tests
{
    private static readonly JsonElement Vectors =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "curve25519", "vectors.json"))).RootElement;

    private static byte[] Hex(string section, string name) => Convert.FromHexString(Vectors.GetProperty(section).GetProperty(name).GetString()!);

    [Fact]
    public void X25519_matches_rfc_7748_section_6_1()
    {
        Assert.Equal(Hex("x25519", "alicePublic"), Curve25519.PublicKey(Hex("x25519", "alicePrivate")));
        Assert.Equal(Hex("x25519", "bobPublic"), Curve25519.PublicKey(Hex("x25519", "bobPrivate")));
        Assert.Equal(Hex("x25519", "shared"), Curve25519.SharedSecret(Hex("x25519", "alicePrivate"), Hex("x25519", "bobPublic")));
        Assert.Equal(Hex("x25519", "shared"), Curve25519.SharedSecret(Hex("x25519", "bobPrivate"), Hex("x25519", "alicePublic")));
    }

    [Fact]
    public void Ed25519_matches_rfc_8032_test_1_and_refuses_an_altered_signature()
    {
        var signature = Curve25519.Sign(Hex("ed25519", "secret"), Hex("ed25519", "public"), Hex("ed25519", "message"));

        Assert.Equal(Hex("ed25519", "signature"), signature);
        Assert.True(Curve25519.Verify(Hex("ed25519", "public"), Hex("ed25519", "message"), signature));
        signature[10] ^= 1;
        Assert.False(Curve25519.Verify(Hex("ed25519", "public"), Hex("ed25519", "message"), signature));
        Assert.False(Curve25519.Verify(Hex("ed25519", "public"), [0x00], Hex("ed25519", "signature")));
    }

    [Fact]
    public void A_small_order_point_is_refused_rather_than_yielding_the_all_zero_secret()
    {
        // RFC 7748 §6.1: the all-zero output of a small-order point must be checked for; u = 0 and u = 1 are two.
        var scalar = RandomNumberGenerator.GetBytes(32);
        Assert.Throws<CryptographicException>(() => Curve25519.SharedSecret(scalar, new byte[32]));
        Assert.Throws<CryptographicException>(() => Curve25519.SharedSecret(scalar, [1, .. new byte[31]]));
        Assert.Throws<CryptographicException>(() => Curve25519.SharedSecret(scalar, new byte[31]));
    }

    [Fact]
    public void Random_keys_agree_and_sign_as_bouncycastle_does()
    {
        var random = new SecureRandom();
        for (var i = 0; i < 20; i++)
        {
            var ours = new X25519PrivateKeyParameters(random);
            var theirs = new X25519PrivateKeyParameters(random).GeneratePublicKey();
            var expected = new byte[32];
            var agreement = new X25519Agreement();
            agreement.Init(ours);
            agreement.CalculateAgreement(theirs, expected, 0);
            Assert.Equal(expected, Curve25519.SharedSecret(ours.GetEncoded(), theirs.GetEncoded()));
            Assert.Equal(ours.GeneratePublicKey().GetEncoded(), Curve25519.PublicKey(ours.GetEncoded()));

            var signing = new Ed25519PrivateKeyParameters(random);
            var message = RandomNumberGenerator.GetBytes(i * 7);
            var signer = new Ed25519Signer();
            signer.Init(true, signing);
            signer.BlockUpdate(message, 0, message.Length);
            Assert.Equal(signer.GenerateSignature(), Curve25519.Sign(signing.GetEncoded(), signing.GeneratePublicKey().GetEncoded(), message));
        }
    }
}
