using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.Tests.OpenPgp;

public sealed class KeyGeneratorTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    private static SecretKey Generate(string passphrase = "force", string? name = null, TimeSpan? validity = null, bool never = false) =>
        new KeyGenerator().Generate(new KeyGenerationRequest(Luke)
        {
            Passphrase = passphrase,
            DisplayName = name,
            Validity = never ? null : validity ?? OpenPgpProfile.DefaultValidity,
        });

    [Fact]
    public void Armored_and_binary_exports_parse_back_to_the_same_fingerprint()
    {
        var key = Generate();
        var armored = key.Certificate.ToArmored();
        var binary = key.Certificate.ToBinary();

        Assert.StartsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----", armored, StringComparison.Ordinal);
        Assert.DoesNotContain("Version:", armored, StringComparison.Ordinal);
        var fromArmor = Certificate.Parse(armored);
        var fromBinary = Certificate.Parse(binary);
        Assert.Equal(key.Fingerprint, fromArmor.Fingerprint);
        Assert.Equal(key.Fingerprint, fromBinary.Fingerprint);
        Assert.Matches("^[0-9A-F]{40}$", fromArmor.Fingerprint);
        Assert.Equal(Convert.FromHexString(key.Fingerprint), fromBinary.GetFingerprintBytes());
        Assert.Equal(fromBinary.Fingerprint[^16..], fromBinary.KeyIdHex);
        Assert.Equal(binary, fromArmor.ToBinary());
    }

    [Fact]
    public void New_key_is_v4_ed25519_with_a_cv25519_encryption_subkey()
    {
        var certificate = Certificate.Parse(Generate().Certificate.ToBinary());

        Assert.Equal(4, certificate.Version);
        Assert.Equal(KeyAlgorithm.EdDsaLegacy, certificate.PrimaryAlgorithm);
        Assert.Equal("ed25519", certificate.PrimaryAlgorithmName);
        var subkey = Assert.Single(certificate.Subkeys);
        Assert.Equal(KeyAlgorithm.Ecdh, subkey.Algorithm);
        Assert.Equal("cv25519", subkey.AlgorithmName);
        Assert.True(subkey.HasValidBinding);
        Assert.True(subkey.CanEncrypt);
        Assert.Equal("SHA-512", subkey.BindingHash);
        Assert.Single(certificate.EncryptionSubkeys(DateTimeOffset.UtcNow));
        Assert.False(certificate.IsRevoked);
    }

    [Fact]
    public void User_id_self_signature_carries_the_profile_preferences()
    {
        var certificate = Generate().Certificate;
        var userId = Assert.Single(certificate.UserIds);
        Assert.Equal("luke@jedi.test", userId.Text);
        Assert.True(userId.IsUsable);
        Assert.Equal("SHA-512", userId.SelfSignatureHash);

        var signature = certificate.ToBouncyCastle().GetPublicKey().GetSignaturesForId("luke@jedi.test").Single();
        var hashed = signature.GetHashedSubPackets();
        Assert.Equal([(int)SymmetricKeyAlgorithmTag.Aes256, (int)SymmetricKeyAlgorithmTag.Aes128], hashed.GetPreferredSymmetricAlgorithms());
        Assert.Equal([(int)HashAlgorithmTag.Sha512, (int)HashAlgorithmTag.Sha256], hashed.GetPreferredHashAlgorithms());
        Assert.Equal([(int)CompressionAlgorithmTag.Uncompressed, (int)CompressionAlgorithmTag.ZLib], hashed.GetPreferredCompressionAlgorithms());
        Assert.True(hashed.GetFeatures().SupportsModificationDetection);
        Assert.False(hashed.GetFeatures().SupportsSeipdV2());
        Assert.Equal(Org.BouncyCastle.Bcpg.Sig.KeyFlags.CertifyOther | Org.BouncyCastle.Bcpg.Sig.KeyFlags.SignData, hashed.GetKeyFlags());
        Assert.Equal(PgpSignature.PositiveCertification, signature.SignatureType);
    }

    [Fact]
    public void Expiry_defaults_to_two_years_and_can_be_never()
    {
        var expiring = Generate().Certificate;
        var never = Generate(never: true).Certificate;

        Assert.Equal(expiring.CreatedAt + TimeSpan.FromDays(730), expiring.ExpiresAt);
        Assert.Equal(expiring.ExpiresAt, expiring.Subkeys[0].ExpiresAt);
        Assert.False(expiring.IsExpired(DateTimeOffset.UtcNow));
        Assert.True(expiring.IsExpired(DateTimeOffset.UtcNow.AddDays(731)));
        Assert.Null(never.ExpiresAt);
        Assert.False(never.IsExpired(DateTimeOffset.UtcNow.AddYears(50)));
    }

    [Fact]
    public void Display_name_goes_into_the_user_id_and_address_matching_is_canonical()
    {
        var certificate = Generate(name: "Luke Skywalker").Certificate;

        Assert.Equal("Luke Skywalker <luke@jedi.test>", Assert.Single(certificate.UserIds).Text);
        Assert.True(certificate.HasUserIdFor(EmailAddress.Parse("LUKE@Jedi.Test")));
        Assert.False(certificate.HasUserIdFor(EmailAddress.Parse("leia@rebel.test")));
        Assert.Throws<ArgumentException>(() => Generate(name: "Evil <x@y.test>"));
    }

    [Fact]
    public void Secret_key_is_protected_with_aes256_iterated_salted_s2k_and_unlocks_with_its_passphrase()
    {
        var key = SecretKey.Parse(Generate("correct horse").ToArmored());

        Assert.True(key.IsProtected);
        foreach (var secret in key.ToBouncyCastle().GetSecretKeys())
        {
            Assert.Equal(SymmetricKeyAlgorithmTag.Aes256, secret.KeyEncryptionAlgorithm);
            Assert.Equal(S2k.SaltedAndIterated, secret.S2k.Type);
        }

        var unlocked = key.Unlock("correct horse");
        Assert.Equal(key.Certificate.KeyId, unchecked((ulong)unlocked.SigningKey.KeyId));
        Assert.NotNull(unlocked.FindPrivateKey(key.Certificate.Subkeys[0].KeyId));
        var wrong = Assert.Throws<OpenPgpException>(() => key.Unlock("wrong"));
        Assert.Equal(OpenPgpError.WrongPassphrase, wrong.Error);
        Assert.Contains("passphrase", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_passphrase_leaves_the_secret_key_unprotected()
    {
        var key = SecretKey.Parse(Generate("").ToBinary());

        Assert.False(key.IsProtected);
        Assert.NotNull(key.Unlock("").SigningKey);
    }

    [Fact]
    public void Secret_and_public_sides_are_not_confused()
    {
        var key = Generate();

        var secretAsCertificate = Assert.Throws<OpenPgpException>(() => Certificate.Parse(key.ToArmored()));
        Assert.Equal(OpenPgpError.SecretKeyMaterial, secretAsCertificate.Error);
        var publicAsSecret = Assert.Throws<OpenPgpException>(() => SecretKey.Parse(key.Certificate.ToBinary()));
        Assert.Equal(OpenPgpError.NotACertificate, publicAsSecret.Error);
        Assert.StartsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----", key.ToArmored(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificates_load_from_streams()
    {
        var key = Generate();
        using var stream = new MemoryStream(key.Certificate.ToBinary());

        var certificate = await Certificate.LoadAsync(stream);

        Assert.Equal(key.Fingerprint, certificate.Fingerprint);
    }
}
