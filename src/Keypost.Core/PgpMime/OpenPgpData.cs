using Keypost.Core.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Core.PgpMime;

/// <summary>
/// Plain OpenPGP messages outside PGP/MIME composition: what a protocol carrying encrypted data in its own MIME
/// shape needs (the Web Key Service's confirmation request and response). Same cipher, MDC and refusal rules as
/// the PGP/MIME path.
/// </summary>
public static class OpenPgpData
{
    /// <summary>Encrypts to every usable encryption subkey of <paramref name="recipients"/>; returns ASCII armor.</summary>
    /// <exception cref="OpenPgpException">A recipient has no usable encryption subkey (NoEncryptionKey).</exception>
    public static string EncryptArmored(byte[] plaintext, IEnumerable<Certificate> recipients, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(recipients);
        var keys = new List<Org.BouncyCastle.Bcpg.OpenPgp.PgpPublicKey>();
        foreach (var certificate in recipients)
        {
            var subkeys = certificate.IsRevoked || certificate.IsExpired(now) ? [] : certificate.EncryptionSubkeys(now);
            if (subkeys.Count == 0)
            {
                throw new OpenPgpException(
                    OpenPgpError.NoEncryptionKey,
                    $"the certificate {certificate.Fingerprint} has no usable encryption key (revoked, expired or missing)");
            }

            keys.AddRange(subkeys.Select(s => certificate.ToBouncyCastle().GetPublicKey(unchecked((long)s.KeyId))));
        }

        var binary = new OpenPgpSignEncrypt(new SecureRandom()).Encrypt(
            plaintext, keys, DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).UtcDateTime);
        return OpenPgpArmor.Armor(binary);
    }

    /// <summary>
    /// Decrypts a message (armored or binary) with <paramref name="key"/>: integrity protection required, the
    /// plaintext capped at <paramref name="maxPlaintextBytes"/>. Every refusal is an <see cref="OpenPgpException"/>.
    /// </summary>
    public static byte[] Decrypt(byte[] message, UnlockedSecretKey key, long maxPlaintextBytes) =>
        OpenPgpDecryptor.Decrypt(message, [key], maxPlaintextBytes).Plaintext;
}
