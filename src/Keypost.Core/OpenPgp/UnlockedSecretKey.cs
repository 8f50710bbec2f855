using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>Secret key material decrypted with its passphrase, ready to sign and decrypt.</summary>
public sealed class UnlockedSecretKey
{
    private readonly Dictionary<long, PgpPrivateKey> keys;

    internal UnlockedSecretKey(Certificate certificate, IEnumerable<PgpPrivateKey> privateKeys)
    {
        Certificate = certificate;
        keys = privateKeys.ToDictionary(k => k.KeyId);
    }

    public Certificate Certificate { get; }

    /// <summary>The primary key, which certifies and signs.</summary>
    public PgpPrivateKey SigningKey =>
        FindPrivateKey(Certificate.KeyId)
        ?? throw new OpenPgpException(OpenPgpError.SecretKeyMaterial, $"this secret key does not hold the primary key of {Certificate.Fingerprint}, which signs: a device added with 'keypost client add-device' reads mail but cannot sign (docs/lifecycle.md)");

    /// <summary>The private key with <paramref name="keyId"/> (e.g. from a PKESK packet), if this key holds it.</summary>
    public PgpPrivateKey? FindPrivateKey(ulong keyId) =>
        keys.TryGetValue(unchecked((long)keyId), out var key) ? key : null;
}
