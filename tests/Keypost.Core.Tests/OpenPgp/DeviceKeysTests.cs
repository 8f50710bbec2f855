using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;

namespace Keypost.Core.Tests.OpenPgp;

/// <summary>
/// Several devices (docs/lifecycle.md): the first device's key exported for a second device without its primary
/// secret, the second device reading what is encrypted to the shared subkey, and a subkey replacement that the
/// second device, not given the new subkey, cannot read.
/// </summary>
public sealed class DeviceKeysTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [Fact]
    public async Task A_device_package_reads_mail_to_the_shared_subkey_but_holds_no_primary_secret()
    {
        var first = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { Passphrase = "laptop" });
        var package = DeviceKeys.ExportForDevice(first, "laptop");
        var phone = DeviceKeys.ImportOnDevice(package, "phone");

        Assert.True(DeviceKeys.HoldsPrimary(first));
        Assert.False(DeviceKeys.HoldsPrimary(phone));
        Assert.Equal(first.Fingerprint, phone.Fingerprint);
        Assert.True(phone.IsProtected);
        Assert.Throws<OpenPgpException>(() => phone.Unlock("laptop"));
        Assert.Throws<OpenPgpException>(() => phone.Unlock("phone").SigningKey);
        Assert.Equal("hello both", await RoundTripAsync(first.Certificate, phone.Unlock("phone")));
        Assert.Equal("hello both", await RoundTripAsync(first.Certificate, first.Unlock("laptop")));

        // A device cannot change the key: that needs the primary secret.
        var refused = Assert.Throws<OpenPgpException>(() => DeviceKeys.WithRoster(phone, "phone", ["x"], DateTimeOffset.UtcNow));
        Assert.Contains("does not hold the primary key", refused.Message, StringComparison.Ordinal);
        // A package that carries the primary secret is refused by the device.
        Assert.Throws<OpenPgpException>(() => DeviceKeys.ImportOnDevice(first.ToBinary(), "phone"));
    }

    [Fact]
    public async Task After_the_subkey_is_replaced_the_old_package_cannot_read_new_mail_and_the_new_one_can()
    {
        var now = DateTimeOffset.UtcNow;
        var first = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { Passphrase = "laptop" });
        var withRoster = DeviceKeys.WithRoster(first, "laptop", ["AAAA 1111", "BBBB 2222"], now);
        Assert.Equal(["AAAA 1111", "BBBB 2222"], DeviceKeys.Roster(withRoster.Certificate, now));
        Assert.Single(withRoster.Certificate.EncryptionSubkeys(now));
        var phone = DeviceKeys.ImportOnDevice(DeviceKeys.ExportForDevice(withRoster, "laptop"), "phone");
        var tablet = DeviceKeys.ImportOnDevice(DeviceKeys.ExportForDevice(withRoster, "laptop"), "tablet");

        var replaced = DeviceKeys.ReplaceEncryptionSubkey(withRoster, "laptop", ["AAAA 1111"], now);
        var current = Assert.Single(replaced.Certificate.EncryptionSubkeys(now));
        Assert.NotEqual(withRoster.Certificate.EncryptionSubkeys(now)[0].Fingerprint, current.Fingerprint);
        Assert.Equal(2, replaced.Certificate.Subkeys.Count);
        Assert.True(replaced.Certificate.Subkeys.Single(s => s.Fingerprint != current.Fingerprint).IsRevoked);
        Assert.Equal(["AAAA 1111"], DeviceKeys.Roster(replaced.Certificate, now));
        Assert.InRange(current.ExpiresAt!.Value, replaced.Certificate.ExpiresAt!.Value.AddSeconds(-2), replaced.Certificate.ExpiresAt!.Value.AddSeconds(2));
        new CertificatePolicy().EnsureAcceptable(replaced.Certificate, Luke, now);

        var phoneAgain = DeviceKeys.ImportOnDevice(DeviceKeys.ExportForDevice(replaced, "laptop"), "phone");
        Assert.Equal("hello both", await RoundTripAsync(replaced.Certificate, phoneAgain.Unlock("phone")));
        Assert.Equal("hello both", await RoundTripAsync(replaced.Certificate, replaced.Unlock("laptop")));
        var error = await Assert.ThrowsAsync<OpenPgpException>(() => RoundTripAsync(replaced.Certificate, tablet.Unlock("tablet")));
        Assert.Equal(OpenPgpError.NoDecryptionKey, error.Error);
        // Mail sent before the change stays readable on every device.
        Assert.Equal("hello both", await RoundTripAsync(withRoster.Certificate, phone.Unlock("phone")));
        Assert.Equal("hello both", await RoundTripAsync(withRoster.Certificate, replaced.Unlock("laptop")));
    }

    [Fact]
    public void Renewal_keeps_the_device_roster_and_a_device_key_cannot_sign()
    {
        var now = DateTimeOffset.UtcNow;
        var first = DeviceKeys.WithRoster(new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { Passphrase = "laptop" }), "laptop", ["AAAA 1111"], now);
        var extended = KeyLifecycle.Extend(first, "laptop", TimeSpan.FromDays(1000), now.AddSeconds(1));
        Assert.Equal(["AAAA 1111"], DeviceKeys.Roster(extended.Certificate, now));
        Assert.True(extended.Certificate.EncryptionSubkeys(now)[0].ExpiresAt > now.AddDays(900));

        var phone = DeviceKeys.ImportOnDevice(DeviceKeys.ExportForDevice(first, "laptop"), "phone");
        var error = Assert.Throws<OpenPgpException>(() => phone.Unlock("phone").SigningKey);
        Assert.Contains("cannot sign", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> RoundTripAsync(Certificate recipient, UnlockedSecretKey reader)
    {
        using var ciphertext = new MemoryStream();
        await new StreamingOpenPgp().EncryptAsync(new MemoryStream("hello both"u8.ToArray()), ciphertext, [recipient], null, armor: true, CancellationToken.None);
        ciphertext.Position = 0;
        using var plaintext = new MemoryStream();
        await new StreamingOpenPgp().DecryptAsync(ciphertext, plaintext, [reader], _ => null, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(plaintext.ToArray());
    }
}
