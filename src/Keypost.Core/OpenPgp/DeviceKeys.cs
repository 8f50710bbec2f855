using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// Several devices for one address (docs/lifecycle.md, "Several devices"): one certificate, its primary key on the
/// first device, and one current encryption subkey shared by every approved device, so GnuPG 2.2 (which encrypts to
/// one subkey per certificate) reaches all of them. The roster of approved devices is a notation on the encryption
/// subkey's binding signature, so every approval and removal is a new version of the address in the log.
/// Removing a device replaces the shared subkey: the new one goes only to the devices that remain.
/// </summary>
public static class DeviceKeys
{
    /// <summary>
    /// RFC 4880 §5.2.3.16 (user namespace): one per approved device on the encryption subkey's binding signature,
    /// value "ID FINGERPRINT" (the device's request id and its transport key's fingerprint).
    /// </summary>
    public const string DeviceNotation = "device@keypost.invalid";

    /// <summary>True when this secret key holds the primary (certify) secret, i.e. it is the first device.</summary>
    public static bool HoldsPrimary(SecretKey secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return !secret.Ring.GetSecretKey().IsPrivateKeyEmpty;
    }

    /// <summary>The devices named on the current encryption subkeys' bindings ("ID FINGERPRINT" each).</summary>
    public static IReadOnlyList<string> Roster(Certificate certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.EncryptionSubkeys(now)
            .SelectMany(s => s.Binding!.GetHashedSubPackets()?.GetNotationDataOccurrences() ?? [])
            .Where(n => n.GetNotationName() == DeviceNotation)
            .Select(n => n.GetNotationValue())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Re-signs the current encryption subkeys with <paramref name="devices"/> as the roster (the expiry stays);
    /// the older binding signatures are dropped so the roster has one meaning.
    /// </summary>
    public static SecretKey WithRoster(SecretKey secret, string passphrase, IReadOnlyList<string> devices, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(devices);
        var signer = PrimarySecret(secret, passphrase);
        var ring = secret.Ring;
        var primary = ring.GetPublicKey();
        var random = new SecureRandom();
        foreach (var subkey in secret.Certificate.EncryptionSubkeys(now))
        {
            long? expiry = subkey.ExpiresAt is { } e ? (long)(e - subkey.CreatedAt).TotalSeconds : null;
            var key = subkey.Key;
            foreach (var old in key.GetSignaturesOfType(PgpSignature.SubkeyBinding).ToList())
            {
                key = PgpPublicKey.RemoveCertification(key, old) ?? key;
            }

            key = PgpPublicKey.AddCertification(key, Binding(signer, primary, key, expiry, devices, now, random));
            ring = PgpSecretKeyRing.InsertSecretKey(ring, PgpSecretKey.ReplacePublicKey(ring.GetSecretKey(key.KeyId), key));
        }

        return new SecretKey(new PgpSecretKeyRing(ring.GetEncoded()));
    }

    /// <summary>
    /// Revokes every encryption subkey still valid (RFC 4880 §5.2.1 type 0x28, reason "key retired") and binds a new
    /// X25519 one, with <paramref name="devices"/> as its roster and the certificate's expiry. The old subkeys' secrets
    /// stay in the returned key, so mail sent before the change stays readable.
    /// </summary>
    public static SecretKey ReplaceEncryptionSubkey(SecretKey secret, string passphrase, IReadOnlyList<string> devices, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(devices);
        var signer = PrimarySecret(secret, passphrase);
        var ring = secret.Ring;
        var primary = ring.GetPublicKey();
        var random = new SecureRandom();
        var created = Seconds(now);
        foreach (var subkey in secret.Certificate.Subkeys.Where(s => s.HasValidBinding && s.CanEncrypt && !s.IsRevoked))
        {
            var generator = new PgpSignatureGenerator(signer.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
            generator.InitSign(PgpSignature.SubkeyRevocation, signer, random);
            var hashed = new PgpSignatureSubpacketGenerator();
            hashed.SetSignatureCreationTime(false, created);
            hashed.SetIssuerFingerprint(false, primary);
            // RFC 4880 §5.2.3.23: "key is retired": the device that also held it is gone.
            hashed.SetRevocationReason(false, RevocationReasonTag.KeyRetired, "device removed");
            generator.SetHashedSubpackets(hashed.Generate());
            var revoked = PgpPublicKey.AddCertification(subkey.Key, generator.GenerateCertification(primary, subkey.Key));
            ring = PgpSecretKeyRing.InsertSecretKey(ring, PgpSecretKey.ReplacePublicKey(ring.GetSecretKey(subkey.Key.KeyId), revoked));
        }

        // The new subkey's secret is protected like the rest: a throw-away ring generator over the primary key pair
        // makes it (and its binding); only the subkey is kept.
        var x25519 = new X25519KeyPairGenerator();
        x25519.Init(new X25519KeyGenerationParameters(random));
        var pair = new PgpKeyPair(OpenPgpProfile.EncryptionAlgorithm, x25519.GenerateKeyPair(), created);
        long? expiry = secret.Certificate.ExpiresAt is { } e ? Math.Max(1, (long)(e - new DateTimeOffset(created)).TotalSeconds) : null;
        var protect = passphrase.Length > 0;
        var userId = primary.GetUserIds().OfType<string>().FirstOrDefault()
            ?? throw new OpenPgpException(OpenPgpError.Malformed, "the key has no user ID");
        var ringGenerator = new PgpKeyRingGenerator(
            PgpSignature.PositiveCertification,
            new PgpKeyPair(primary, signer),
            userId,
            protect ? OpenPgpProfile.SecretKeyProtection : SymmetricKeyAlgorithmTag.Null,
            OpenPgpProfile.SignatureHash,
            System.Text.Encoding.UTF8.GetBytes(passphrase),
            protect,
            null,
            null,
            random);
        ringGenerator.AddSubKey(pair, BindingSubpackets(primary, expiry, devices, created), null, OpenPgpProfile.SignatureHash);
        var generated = new PgpSecretKeyRing(ringGenerator.GenerateSecretKeyRing().GetEncoded());
        ring = PgpSecretKeyRing.InsertSecretKey(ring, generated.GetSecretKey(pair.KeyId));
        return new SecretKey(new PgpSecretKeyRing(ring.GetEncoded()));
    }

    /// <summary>
    /// What the first device sends a device it approves (inside a message encrypted to that device's transport key):
    /// the certificate with the primary secret left out (GnuPG's "gnu-dummy" stub, as `gpg --export-secret-subkeys`
    /// writes) and every subkey secret unprotected, for the device to protect with its own passphrase.
    /// </summary>
    public static byte[] ExportForDevice(SecretKey secret, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(passphrase);
        var raw = System.Text.Encoding.UTF8.GetBytes(passphrase);
        var random = new SecureRandom();
        using var output = new MemoryStream();
        var primary = secret.Ring.GetSecretKey();
        var encoded = primary.GetEncoded();
        var contents = primary.PublicKey.PublicKeyPacket.GetEncodedContents();

        // GnuPG's S2K extension 101 (RFC 4880 §3.7.1 leaves 100-110 to private use): usage 254, a cipher octet,
        // S2K 101, a hash octet, "GNU", mode 1 = no secret part follows.
        byte[] stub = [254, (byte)SymmetricKeyAlgorithmTag.Aes256, 101, 0, (byte)'G', (byte)'N', (byte)'U', 1];
        WritePacket(output, PacketScanner.SecretKey, [.. contents, .. stub]);
        output.Write(encoded, PacketScanner.FirstPacketSize(encoded), encoded.Length - PacketScanner.FirstPacketSize(encoded));
        foreach (var key in secret.Ring.GetSecretKeys().Where(k => !k.IsMasterKey))
        {
            var copy = key.IsPrivateKeyEmpty
                ? key
                : PgpSecretKey.CopyWithNewPasswordRaw(key, raw, [], SymmetricKeyAlgorithmTag.Null, random);
            copy.Encode(output);
        }

        return output.ToArray();
    }

    /// <summary>
    /// The device's side of <see cref="ExportForDevice"/>: parses the stub ring, refuses one that carries the primary
    /// secret or no subkey secret, and protects the subkey secrets with <paramref name="passphrase"/>.
    /// </summary>
    public static SecretKey ImportOnDevice(byte[] package, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(passphrase);
        var parsed = SecretKey.Parse(package);
        if (HoldsPrimary(parsed))
        {
            throw new OpenPgpException(OpenPgpError.SecretKeyMaterial, "the device package carries the primary secret key, which never leaves the first device");
        }

        var raw = System.Text.Encoding.UTF8.GetBytes(passphrase);
        var random = new SecureRandom();
        var ring = parsed.Ring;
        var count = 0;
        foreach (var key in parsed.Ring.GetSecretKeys().Where(k => !k.IsMasterKey && !k.IsPrivateKeyEmpty))
        {
            var protectedKey = PgpSecretKey.CopyWithNewPasswordRaw(
                key, [], raw, raw.Length > 0 ? OpenPgpProfile.SecretKeyProtection : SymmetricKeyAlgorithmTag.Null, random);
            ring = PgpSecretKeyRing.InsertSecretKey(ring, protectedKey);
            count++;
        }

        if (count == 0)
        {
            throw new OpenPgpException(OpenPgpError.NoEncryptionKey, "the device package carries no subkey secret");
        }

        return new SecretKey(new PgpSecretKeyRing(ring.GetEncoded()));
    }

    private static PgpPrivateKey PrimarySecret(SecretKey secret, string passphrase)
    {
        if (!HoldsPrimary(secret))
        {
            throw new OpenPgpException(OpenPgpError.SecretKeyMaterial, $"this secret key does not hold the primary key of {secret.Fingerprint}: only the first device can change the key");
        }

        return secret.Unlock(passphrase).SigningKey;
    }

    private static PgpSignature Binding(PgpPrivateKey signer, PgpPublicKey primary, PgpPublicKey subkey, long? expiry, IReadOnlyList<string> devices, DateTimeOffset now, SecureRandom random)
    {
        var generator = new PgpSignatureGenerator(signer.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
        generator.InitSign(PgpSignature.SubkeyBinding, signer, random);
        generator.SetHashedSubpackets(BindingSubpackets(primary, expiry, devices, Seconds(now)));
        return generator.GenerateCertification(primary, subkey);
    }

    /// <summary>An encryption subkey's binding subpackets: flags, expiry and the device roster.</summary>
    internal static PgpSignatureSubpacketVector BindingSubpackets(PgpPublicKey primary, long? expiry, IReadOnlyList<string> devices, DateTime created)
    {
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, created);
        hashed.SetIssuerFingerprint(false, primary);
        hashed.SetKeyFlags(false, OpenPgpProfile.EncryptionKeyFlags);
        if (expiry is { } seconds)
        {
            // RFC 4880 §5.2.3.6: seconds after the subkey's creation.
            hashed.SetKeyExpirationTime(false, seconds);
        }

        foreach (var device in devices)
        {
            hashed.AddNotationData(false, true, DeviceNotation, device);
        }

        return hashed.Generate();
    }

    private static void WritePacket(Stream output, int tag, byte[] body)
    {
        // RFC 4880 §4.2.2: new-format header, five-octet length (valid for any size).
        output.WriteByte((byte)(0xC0 | tag));
        output.WriteByte(0xFF);
        output.WriteByte((byte)(body.Length >> 24));
        output.WriteByte((byte)(body.Length >> 16));
        output.WriteByte((byte)(body.Length >> 8));
        output.WriteByte((byte)body.Length);
        output.Write(body);
    }

    private static DateTime Seconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds()).UtcDateTime;
}
