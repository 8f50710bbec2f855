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
}
