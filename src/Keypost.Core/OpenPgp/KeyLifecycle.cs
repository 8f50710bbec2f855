using Keypost.Core.Addresses;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Bcpg.Sig;
using Org.BouncyCastle.Security;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// What an owner does to a key over its life (docs/lifecycle.md): certify its successor (the transition signature
/// a sender checks against its pin), revoke it, and extend its validity. All work on the owner's unlocked secret
/// key; the results are certificates to publish (or, for renewal, the updated secret key).
/// </summary>
public static class KeyLifecycle
{
    /// <summary>The notation that marks a certification as a key transition (RFC 4880 §5.2.3.16, user namespace).</summary>
    public const string TransitionNotation = "transition@keypost.invalid";

    /// <summary>
    /// The old key certifies the new key's user ID for <paramref name="address"/> (RFC 4880 §5.2.1 type 0x13, positive
    /// certification) with a <see cref="TransitionNotation"/> notation: a statement a sender holding a pin for the
    /// old key can verify. Returns the new certificate carrying that certification.
    /// </summary>
    public static Certificate CertifySuccessor(UnlockedSecretKey previous, Certificate next, EmailAddress address, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        var userId = next.UserIdsFor(address).FirstOrDefault()
            ?? throw new OpenPgpException(OpenPgpError.NoUserIdForAddress, $"the new key {next.Fingerprint} has no valid user ID for {address}");
        var generator = new PgpSignatureGenerator(previous.SigningKey.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
        generator.InitSign(PgpSignature.PositiveCertification, previous.SigningKey, new SecureRandom());
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, Seconds(now));
        hashed.SetIssuerFingerprint(false, previous.Certificate.Primary);
        hashed.AddNotationData(false, true, TransitionNotation, next.Fingerprint);
        generator.SetHashedSubpackets(hashed.Generate());
        var signature = generator.GenerateCertification(userId.Text, next.Primary);
        var certified = PgpPublicKey.AddCertification(next.Primary, userId.Text, signature);
        return Certificate.Read(PgpPublicKeyRing.InsertPublicKey(next.Ring, certified).GetEncoded());
    }

    /// <summary>
    /// True when <paramref name="previous"/> certified a user ID of <paramref name="next"/> for <paramref name="address"/>
    /// with a transition certification naming <paramref name="next"/>'s fingerprint, and that certification verifies.
    /// </summary>
    public static bool IsSuccessorOf(Certificate next, Certificate previous, EmailAddress address) =>
        TransitionSignatures(next, previous, address).Count > 0;

    /// <summary>The verified transition certifications <paramref name="previous"/> made on <paramref name="next"/>.</summary>
    internal static List<(CertificateUserId UserId, PgpSignature Signature)> TransitionSignatures(Certificate next, Certificate previous, EmailAddress address)
    {
        var found = new List<(CertificateUserId, PgpSignature)>();
        if (previous.Fingerprint == next.Fingerprint)
        {
            return found;
        }

        var issuer = previous.GetFingerprintBytes();
        foreach (var userId in next.UserIdsFor(address))
        {
            var signatures = next.Primary.GetSignaturesForId(userId.RawId)?.ToList() ?? [];
            foreach (var signature in SelfSignatures.Candidates(signatures, previous.Primary, issuer, 0x10, 0x11, 0x12, 0x13))
            {
                var names = signature.GetHashedSubPackets()?.GetNotationDataOccurrences() ?? [];
                var marked = names.Any(n => n.GetNotationName() == TransitionNotation && n.GetNotationValue() == next.Fingerprint);
                if (marked && SelfSignatures.VerifyThirdParty(signature, userId.Text, next.Primary, previous.Primary))
                {
                    found.Add((userId, signature));
                }
            }
        }

        return found;
    }

    /// <summary>A key revocation signature (RFC 4880 §5.2.1 type 0x20) made by the key itself, with its reason.</summary>
    public static Certificate Revoke(UnlockedSecretKey key, string? reason, bool superseded, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        var generator = new PgpSignatureGenerator(key.SigningKey.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
        generator.InitSign(PgpSignature.KeyRevocation, key.SigningKey, new SecureRandom());
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, Seconds(now));
        hashed.SetIssuerFingerprint(false, key.Certificate.Primary);
        // RFC 4880 §5.2.3.23: "key superseded" tells holders a successor exists; otherwise no reason is claimed.
        hashed.SetRevocationReason(false, superseded ? RevocationReasonTag.KeySuperseded : RevocationReasonTag.NoReason, reason ?? "");
        generator.SetHashedSubpackets(hashed.Generate());
        var signature = generator.GenerateCertification(key.Certificate.Primary);
        var revoked = PgpPublicKey.AddCertification(key.Certificate.Primary, signature);
        return Certificate.Read(PgpPublicKeyRing.InsertPublicKey(key.Certificate.Ring, revoked).GetEncoded());
    }

    /// <summary>
    /// True when the certificate carries a key revocation signature that is not the key's own (claims another issuer
    /// or does not verify): a revocation anyone else signed means nothing and is refused rather than ignored.
    /// </summary>
    public static bool HasForeignRevocation(Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var all = certificate.Primary.GetSignaturesOfType(PgpSignature.KeyRevocation).Count();
        return all > certificate.KeyRevocations.Count;
    }

    /// <summary>
    /// Renews the key: new self-signatures on every usable user ID and encryption subkey, with the expiry
    /// <paramref name="validity"/> from <paramref name="now"/> (null: never). The fingerprint stays; senders with a
    /// pin keep it. Returns the secret key with the new signatures, protected as before.
    /// </summary>
    public static SecretKey Extend(SecretKey secret, string passphrase, TimeSpan? validity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var unlocked = secret.Unlock(passphrase);
        var certificate = secret.Certificate;
        var created = certificate.CreatedAt;
        long? expirySeconds = validity is { } v ? (long)(now + v - created).TotalSeconds : null;
        var primary = certificate.Primary;
        foreach (var userId in certificate.UserIds.Where(u => u.IsUsable))
        {
            var generator = new PgpSignatureGenerator(unlocked.SigningKey.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
            generator.InitSign(PgpSignature.PositiveCertification, unlocked.SigningKey, new SecureRandom());
            generator.SetHashedSubpackets(KeyGenerator.PrimarySubpackets(primary, expirySeconds, Seconds(now)));
            primary = PgpPublicKey.AddCertification(primary, userId.Text, generator.GenerateCertification(userId.Text, primary));
        }

        var ring = secret.Ring;
        ring = PgpSecretKeyRing.InsertSecretKey(ring, PgpSecretKey.ReplacePublicKey(ring.GetSecretKey(), primary));
        // The device roster (DeviceKeys) stays on the renewed bindings.
        var roster = DeviceKeys.Roster(certificate, now);
        foreach (var subkey in certificate.Subkeys.Where(s => s.HasValidBinding && !s.IsRevoked && s.CanEncrypt))
        {
            var generator = new PgpSignatureGenerator(unlocked.SigningKey.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
            generator.InitSign(PgpSignature.SubkeyBinding, unlocked.SigningKey, new SecureRandom());
            generator.SetHashedSubpackets(DeviceKeys.BindingSubpackets(primary, expirySeconds, roster, Seconds(now)));
            var bound = PgpPublicKey.AddCertification(subkey.Key, generator.GenerateCertification(primary, subkey.Key));
            var secretSubkey = ring.GetSecretKey(subkey.Key.KeyId);
            ring = PgpSecretKeyRing.InsertSecretKey(ring, PgpSecretKey.ReplacePublicKey(secretSubkey, bound));
        }

        return new SecretKey(new PgpSecretKeyRing(ring.GetEncoded()));
    }

    // OpenPGP times are whole seconds.
    private static DateTime Seconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds()).UtcDateTime;
}
