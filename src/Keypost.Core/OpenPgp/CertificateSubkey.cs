using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Bcpg.Sig;

namespace Keypost.Core.OpenPgp;

/// <summary>A subkey of a certificate with the result of checking its binding and revocation signatures.</summary>
public sealed class CertificateSubkey
{
    internal CertificateSubkey(PgpPublicKey key, PgpSignature? binding, IReadOnlyList<PgpSignature> revocations)
    {
        Key = key;
        Binding = binding;
        Revocations = revocations;
        Fingerprint = Convert.ToHexString(key.GetFingerprint());
        CreatedAt = new DateTimeOffset(key.CreationTime, TimeSpan.Zero);
        ExpiresAt = SelfSignatures.KeyExpiry(binding, CreatedAt);
    }

    public string Fingerprint { get; }

    public ulong KeyId => unchecked((ulong)Key.KeyId);

    public KeyAlgorithm Algorithm => KeyDescription.Algorithm(Key);

    public int BitStrength => Key.BitStrength;

    /// <summary>GnuPG's name for the key type: cv25519, rsa3072 ...</summary>
    public string AlgorithmName => KeyDescription.Name(Key);

    public DateTimeOffset CreatedAt { get; }

    /// <summary>From the newest valid binding signature; null when it never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>True when a binding signature by the primary key verifies.</summary>
    public bool HasValidBinding => Binding is not null;

    /// <summary>True when a subkey revocation by the primary key verifies.</summary>
    public bool IsRevoked => Revocations.Count > 0;

    /// <summary>
    /// The binding's key flags allow encryption (RFC 4880 §5.2.3.21); without key flags, the algorithm decides.
    /// </summary>
    public bool CanEncrypt
    {
        get
        {
            var hashed = Binding?.GetHashedSubPackets();
            if (hashed is not null && hashed.HasSubpacket(Org.BouncyCastle.Bcpg.SignatureSubpacketTag.KeyFlags))
            {
                return (hashed.GetKeyFlags() & (KeyFlags.EncryptComms | KeyFlags.EncryptStorage)) != 0;
            }

            return Key.IsEncryptionKey;
        }
    }

    /// <summary>The hash of the binding signature ("SHA-512"), or null when there is no valid binding.</summary>
    public string? BindingHash => Binding is null ? null : SelfSignatures.HashName(Binding.HashAlgorithm);

    internal PgpPublicKey Key { get; }

    internal PgpSignature? Binding { get; }

    internal IReadOnlyList<PgpSignature> Revocations { get; }

    public bool IsExpired(DateTimeOffset at) => ExpiresAt is { } expiry && expiry <= at;

    /// <summary>Bound, encryption-capable, not revoked, not expired at <paramref name="at"/>.</summary>
    public bool IsUsableForEncryption(DateTimeOffset at) => HasValidBinding && CanEncrypt && !IsRevoked && !IsExpired(at);
}
