using Keypost.Mail.Dkim;
using Keypost.Testing;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Keypost.Mail.Tests.Dkim;

public sealed class DkimKeyStoreTests(DkimFixture fixture) : IClassFixture<DkimFixture>
{
    [Fact]
    public void Keys_are_stored_as_private_pem_files_per_domain_and_selector()
    {
        var ed = fixture.Directory.Combine("dkim", "rebel.test", "kp-ed.ed25519.pem");
        var rsa = fixture.Directory.Combine("dkim", "rebel.test", "kp-rsa.rsa.pem");

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(ed), StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(rsa), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ed));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rsa));
        }
    }

    [Fact]
    public async Task A_new_store_over_the_same_directory_loads_the_same_keys()
    {
        var again = await new DkimKeyStore(fixture.Directory.Combine("dkim")).GetOrCreateAsync("REBEL.test.", CancellationToken.None);

        Assert.Equal(fixture.Keys.Ed25519.TxtRecord, again.Ed25519.TxtRecord);
        Assert.Equal(fixture.Keys.Rsa.TxtRecord, again.Rsa.TxtRecord);
    }

    [Fact]
    public void Ed25519_record_carries_the_raw_32_byte_key()
    {
        var record = fixture.Keys.Ed25519.TxtRecord;

        Assert.StartsWith("v=DKIM1; k=ed25519; p=", record, StringComparison.Ordinal);
        var raw = Convert.FromBase64String(record["v=DKIM1; k=ed25519; p=".Length..]);
        Assert.Equal(32, raw.Length);
        Assert.Equal(((Ed25519PublicKeyParameters)fixture.Keys.Ed25519.PublicKey).GetEncoded(), raw);
        Assert.Equal("kp-ed._domainkey.rebel.test", fixture.Keys.Ed25519.DnsName);
    }

    [Fact]
    public void Rsa_record_carries_a_2048_bit_subject_public_key_info()
    {
        var record = fixture.Keys.Rsa.TxtRecord;

        Assert.StartsWith("v=DKIM1; k=rsa; p=", record, StringComparison.Ordinal);
        var key = (RsaKeyParameters)PublicKeyFactory.CreateKey(Convert.FromBase64String(record["v=DKIM1; k=rsa; p=".Length..]));
        Assert.Equal(2048, key.Modulus.BitLength);
        Assert.False(key.IsPrivate);
    }

    [Fact]
    public async Task Selectors_are_configurable_and_names_are_checked()
    {
        using var dir = new TempDirectory();
        var store = new DkimKeyStore(dir.Path, new DkimSelectors("ed2026", "rsa2026"));

        var keys = await store.GetOrCreateAsync("jedi.test", CancellationToken.None);

        Assert.Equal("ed2026._domainkey.jedi.test", keys.Ed25519.DnsName);
        Assert.True(File.Exists(Path.Combine(dir.Path, "jedi.test", "rsa2026.rsa.pem")));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetOrCreateAsync("../etc", CancellationToken.None));
        Assert.Throws<ArgumentException>(() => new DkimKeyStore(dir.Path, new DkimSelectors("a/b", "c")));
    }
}
