using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>The encryption subkeys a message goes to: every usable one of each certificate, each once.</summary>
internal static class RecipientKeys
{
    /// <exception cref="OpenPgpException">A certificate has no usable encryption subkey (NoEncryptionKey).</exception>
    public static List<PgpPublicKey> For(IEnumerable<Certificate> certificates, DateTimeOffset now)
    {
        var keys = new List<PgpPublicKey>();
        var seen = new HashSet<ulong>();
        foreach (var certificate in certificates)
        {
            var subkeys = certificate.IsRevoked || certificate.IsExpired(now) ? [] : certificate.EncryptionSubkeys(now);
            if (subkeys.Count == 0)
            {
                throw new OpenPgpException(
                    OpenPgpError.NoEncryptionKey,
                    $"the certificate {certificate.Fingerprint} has no usable encryption key (revoked, expired or missing)");
            }

            foreach (var subkey in subkeys.Where(s => seen.Add(s.KeyId)))
            {
                keys.Add(certificate.ToBouncyCastle().GetPublicKey(unchecked((long)subkey.KeyId)));
            }
        }

        return keys;
    }
}
