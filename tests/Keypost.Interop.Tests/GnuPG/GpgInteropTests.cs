using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Testing;

namespace Keypost.Interop.Tests.GnuPG;

public sealed class GpgInteropTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    [ToolFact("gpg", "gpgconf")]
    public async Task Keypost_certificate_imports_into_gpg_with_good_self_signatures()
    {
        var key = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke", Passphrase = "force" });
        await using var gpg = new GpgHome();

        await gpg.ImportAsync(Encoding.ASCII.GetBytes(key.Certificate.ToArmored()));
        var listing = (await gpg.GpgAsync("--with-colons", "--list-keys", key.Fingerprint)).StandardOutput;
        var checks = (await gpg.GpgAsync("--with-colons", "--check-signatures", key.Fingerprint)).StandardOutput;

        Assert.Equal([key.Fingerprint, key.Certificate.Subkeys[0].Fingerprint], Colons.Fingerprints(listing));
        var pub = Assert.Single(Colons.Records(listing, "pub"));
        Assert.Equal("22", pub[3]);
        Assert.Equal("ed25519", pub[16]);
        Assert.Contains("c", pub[11], StringComparison.Ordinal);
        Assert.Contains("s", pub[11], StringComparison.Ordinal);
        var sub = Assert.Single(Colons.Records(listing, "sub"));
        Assert.Equal("18", sub[3]);
        Assert.Equal("cv25519", sub[16]);
        Assert.Contains("e", sub[11], StringComparison.Ordinal);
        Assert.Equal("Luke <luke@jedi.test>", Assert.Single(Colons.Records(listing, "uid"))[9]);
        var signatures = Colons.Records(checks, "sig");
        Assert.Equal(2, signatures.Count);
        Assert.All(signatures, s => Assert.Equal("!", s[1]));
        Assert.Equal(key.Certificate.ExpiresAt!.Value.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), pub[6]);
    }

    [ToolFact("gpg", "gpgconf")]
    public Task Keypost_secret_key_imports_into_gpg_and_signs_with_its_passphrase() => ImportAndSignAsync("correct horse");

    // An unprotected key must carry RFC 4880's two-octet checksum: with a SHA-1 check gpg imports it but then
    // fails every signature with "Checksum error".
    [ToolFact("gpg", "gpgconf")]
    public Task Unprotected_keypost_secret_key_imports_into_gpg_and_signs() => ImportAndSignAsync("");

    private static async Task ImportAndSignAsync(string passphrase)
    {
        var key = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { Passphrase = passphrase });
        await using var gpg = new GpgHome();

        await gpg.ImportAsync(Encoding.ASCII.GetBytes(key.ToArmored()), "--passphrase", passphrase);
        var secrets = (await gpg.GpgAsync("--with-colons", "--list-secret-keys", key.Fingerprint)).StandardOutput;
        var input = gpg.PathOf("message.txt");
        await File.WriteAllTextAsync(input, "May the Force be with you");
        await gpg.GpgAsync("--passphrase", passphrase, "--local-user", key.Fingerprint, "--detach-sign", input);
        var verify = await gpg.GpgAsync("--status-fd", "1", "--verify", input + ".sig", input);

        Assert.Single(Colons.Records(secrets, "sec"));
        Assert.Contains("[GNUPG:] VALIDSIG " + key.Fingerprint, verify.StandardOutput, StringComparison.Ordinal);
    }

    [ToolFact("gpg", "gpgconf")]
    public async Task Gpg_ed25519_key_parses_with_the_same_fingerprint_and_passes_the_policy()
    {
        await using var gpg = new GpgHome();
        var fingerprint = await gpg.QuickGenKeyAsync("Luke <luke@jedi.test>", "ed25519", "cert,sign");
        await gpg.GpgAsync("--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr", "2y");

        var certificate = Certificate.Parse(await gpg.ExportAsync(fingerprint));

        Assert.Equal(fingerprint, certificate.Fingerprint);
        Assert.Equal("ed25519", certificate.PrimaryAlgorithmName);
        Assert.Equal("cv25519", Assert.Single(certificate.EncryptionSubkeys(DateTimeOffset.UtcNow)).AlgorithmName);
        Assert.True(certificate.HasUserIdFor(Luke));
        Assert.NotNull(certificate.ExpiresAt);
        Assert.Empty(new CertificatePolicy().Validate(certificate, Luke, DateTimeOffset.UtcNow));
    }

    [ToolFact("gpg", "gpgconf")]
    public async Task Gpg_rsa3072_key_parses_and_passes_the_policy()
    {
        await using var gpg = new GpgHome();
        var fingerprint = await gpg.QuickGenKeyAsync("luke@jedi.test", "rsa3072", "cert,sign");
        await gpg.GpgAsync("--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr", "2y");

        var certificate = Certificate.Parse(await gpg.ExportAsync(fingerprint));

        Assert.Equal(fingerprint, certificate.Fingerprint);
        Assert.Equal(KeyAlgorithm.Rsa, certificate.PrimaryAlgorithm);
        Assert.Equal(3072, certificate.PrimaryBitStrength);
        Assert.Empty(new CertificatePolicy().Validate(certificate, Luke, DateTimeOffset.UtcNow));
    }

    [ToolFact("gpg", "gpgconf")]
    public async Task Minimised_gpg_key_holds_only_the_user_id_for_the_address()
    {
        await using var gpg = new GpgHome();
        var fingerprint = await gpg.QuickGenKeyAsync("Luke <luke@jedi.test>", "ed25519", "cert,sign");
        await gpg.GpgAsync("--passphrase", "", "--quick-add-uid", fingerprint, "Other <other@elsewhere.test>");
        await gpg.GpgAsync("--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr", "2y");
        var full = Certificate.Parse(await gpg.ExportAsync(fingerprint));
        Assert.Equal(2, full.UserIds.Count(u => u.IsUsable));

        var minimal = CertificateMinimizer.Minimize(full, Luke);
        await using var fresh = new GpgHome();
        await fresh.ImportAsync(minimal.ToBinary());
        var listing = (await fresh.GpgAsync("--with-colons", "--list-keys", fingerprint)).StandardOutput;
        var checks = (await fresh.GpgAsync("--with-colons", "--check-signatures", fingerprint)).StandardOutput;

        Assert.Equal("Luke <luke@jedi.test>", Assert.Single(Colons.Records(listing, "uid"))[9]);
        Assert.Single(Colons.Records(listing, "sub"));
        Assert.Equal(fingerprint, Colons.Fingerprints(listing)[0]);
        Assert.All(Colons.Records(checks, "sig"), s => Assert.Equal("!", s[1]));
        Assert.DoesNotContain("elsewhere", listing, StringComparison.Ordinal);
    }

    [ToolFact("gpg", "gpgconf")]
    public async Task Gpg_revoked_key_is_revoked_for_keypost()
    {
        await using var gpg = new GpgHome();
        var fingerprint = await gpg.QuickGenKeyAsync("Luke <luke@jedi.test>", "ed25519", "cert,sign");
        await gpg.GpgAsync("--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr", "2y");

        // gpg 2.2 writes a revocation certificate on key creation, its armor line masked with ':' against accidents.
        var revocation = await File.ReadAllTextAsync(Path.Combine(gpg.Path, "openpgp-revocs.d", fingerprint + ".rev"));
        await gpg.ImportAsync(Encoding.ASCII.GetBytes(revocation.Replace(":-----BEGIN", "-----BEGIN", StringComparison.Ordinal)));
        var certificate = Certificate.Parse(await gpg.ExportAsync(fingerprint));

        Assert.True(certificate.IsRevoked);
        var problem = Assert.Single(new CertificatePolicy().Validate(certificate, Luke, DateTimeOffset.UtcNow));
        Assert.Equal(OpenPgpError.Revoked, problem.Error);
        Assert.Throws<OpenPgpException>(() => new CertificatePolicy().EnsureAcceptable(certificate, Luke, DateTimeOffset.UtcNow));
    }

    [ToolFact("gpg", "gpgconf")]
    public async Task Gpg_key_that_expired_in_the_past_is_expired_for_keypost()
    {
        await using var gpg = new GpgHome();
        // The trailing '!' freezes gpg's clock: without it the clock runs on from the given time, and on a loaded
        // machine the key was created (and expired) a second later.
        var fingerprint = await gpg.QuickGenKeyAsync(
            "Luke <luke@jedi.test>", "ed25519", "cert,sign", "1d", "--faked-system-time", "20200101T000000!");

        var certificate = Certificate.Parse(await gpg.ExportAsync(fingerprint));

        Assert.Equal(new DateTimeOffset(2020, 1, 2, 0, 0, 0, TimeSpan.Zero), certificate.ExpiresAt);
        Assert.True(certificate.IsExpired(DateTimeOffset.UtcNow));
        Assert.Contains(
            new CertificatePolicy().Validate(certificate, Luke, DateTimeOffset.UtcNow),
            p => p.Error == OpenPgpError.Expired);
    }

    [ToolFact("gpg", "gpgconf")]
    public async Task Minimised_keypost_key_imports_into_gpg_with_good_self_signatures()
    {
        // The flood itself is built with BouncyCastle in the unit tests; here gpg checks that a minimised Keypost
        // key with third-party certifications stripped still imports with good self-signatures.
        var key = new KeyGenerator().Generate(new KeyGenerationRequest(Luke));
        var minimal = CertificateMinimizer.Minimize(key.Certificate, Luke);
        await using var gpg = new GpgHome();

        await gpg.ImportAsync(minimal.ToBinary());
        var checks = (await gpg.GpgAsync("--with-colons", "--check-signatures", key.Fingerprint)).StandardOutput;

        Assert.Equal(2, Colons.Records(checks, "sig").Count(s => s[1] == "!"));
    }
}
