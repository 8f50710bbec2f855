using Keypost.Directory.Accounts;

namespace Keypost.Directory.Tests.Accounts;

public sealed class PasswordHasherTests
{
    private readonly PasswordHasher _hasher = new(memoryKiB: 1024, iterations: 1);

    [Fact]
    public void Verifies_the_right_password_only()
    {
        var hash = _hasher.Hash("correct horse battery staple");
        Assert.StartsWith("$argon2id$v=19$m=1024,t=1,p=1$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("correct horse battery staple", hash));
        Assert.False(PasswordHasher.Verify("correct horse battery stapl", hash));
        Assert.False(PasswordHasher.Verify("", hash));
    }

    [Fact]
    public void Salts_every_hash()
    {
        Assert.NotEqual(_hasher.Hash("same"), _hasher.Hash("same"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("$2b$10$abcdefghijklmnopqrstuv")]
    [InlineData("$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA")]
    public void Unreadable_hashes_never_match(string encoded)
    {
        Assert.False(PasswordHasher.Verify("plaintext", encoded));
    }

    [Fact]
    public void Verifies_the_rfc_9106_parameters_it_wrote_even_after_defaults_change()
    {
        var strong = new PasswordHasher().Hash("pw");
        Assert.Contains("m=19456,t=2,p=1", strong, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("pw", strong));
    }

    [Theory]
    [InlineData("correct horse battery staple", 19456, 2, 32)]
    [InlineData("", 64, 3, 16)]
    [InlineData("pässwörd with UTF-8", 1024, 1, 64)]
    public void Libsodium_and_bouncycastle_compute_the_same_argon2id(string password, int memoryKiB, int iterations, int length)
    {
        // Two independent implementations of RFC 9106 agreeing on the same inputs: stored hashes made by either verify with the other.
        var salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var sodium = Argon2idSodium.Derive(System.Text.Encoding.UTF8.GetBytes(password), salt, memoryKiB, iterations, length);
        var managed = PasswordHasher.DeriveManaged(password, salt, memoryKiB, iterations, 1, length);
        Assert.Equal(Convert.ToHexString(managed), Convert.ToHexString(sodium));
    }

    [Fact]
    public void A_hash_with_several_lanes_is_still_verified_by_bouncycastle()
    {
        var hash = new PasswordHasher(memoryKiB: 256, iterations: 1, parallelism: 2).Hash("two lanes");
        Assert.Contains(",p=2$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("two lanes", hash));
        Assert.False(PasswordHasher.Verify("two lane", hash));
    }
}
