using System.Text;
using Keypost.Core.Addresses;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// In charge of OpenPGP certificates and keys: parsing, checking, minimising, generating and their lifecycle.
/// An OpenPGP certificate (transferable public key, RFC 4880 §11.1) whose self-signatures have been verified.
/// Parse untrusted input with <see cref="Parse(ReadOnlySpan{byte}, int)"/>; every refusal is an
/// <see cref="OpenPgpException"/>.
/// </summary>
public sealed class Certificate
{
    /// <summary>Default cap on input size: real certificates are a few KB; floods are larger.</summary>
    public const int DefaultMaxBytes = 1024 * 1024;

    private readonly byte[] fingerprint;

    internal Certificate(PgpPublicKeyRing ring)
    {
        Ring = ring;
        Primary = ring.GetPublicKey();
        fingerprint = Primary.GetFingerprint();
        Fingerprint = Convert.ToHexString(fingerprint);
        CreatedAt = new DateTimeOffset(Primary.CreationTime, TimeSpan.Zero);

        var keySignatures = Primary.GetKeySignatures().ToList();
        KeyRevocations = SelfSignatures
            .Candidates(keySignatures, Primary, fingerprint, PgpSignature.KeyRevocation)
            .Where(s => SelfSignatures.VerifyOnKey(s, Primary))
            .ToList();
        DirectKeySignatures = SelfSignatures
            .Candidates(keySignatures, Primary, fingerprint, PgpSignature.DirectKey)
            .Where(s => SelfSignatures.VerifyOnKey(s, Primary))
            .ToList();
        UserIds = Primary.GetRawUserIds().Select(ReadUserId).ToList();
        Subkeys = ring.GetPublicKeys().Where(k => !k.IsMasterKey).Select(ReadSubkey).ToList();
        ExpiresAt = SelfSignatures.KeyExpiry(LatestSelfSignature(), CreatedAt);
    }

    /// <summary>The primary key's fingerprint, upper-case hex (40 digits for a v4 key).</summary>
    public string Fingerprint { get; }

    public ulong KeyId => unchecked((ulong)Primary.KeyId);

    /// <summary>The key ID as 16 upper-case hex digits.</summary>
    public string KeyIdHex => KeyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);

    public int Version => Primary.Version;

    public KeyAlgorithm PrimaryAlgorithm => KeyDescription.Algorithm(Primary);

    public int PrimaryBitStrength => Primary.BitStrength;

    /// <summary>GnuPG's name for the primary key type: ed25519, rsa3072 ...</summary>
    public string PrimaryAlgorithmName => KeyDescription.Name(Primary);

    public DateTimeOffset CreatedAt { get; }

    /// <summary>From the newest valid self-signature (direct-key or on a usable user ID); null: never.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    public IReadOnlyList<CertificateUserId> UserIds { get; }

    public IReadOnlyList<CertificateSubkey> Subkeys { get; }

    /// <summary>True when a key revocation signature made by the primary key itself verifies.</summary>
    public bool IsRevoked => KeyRevocations.Count > 0;

    internal PgpPublicKeyRing Ring { get; }

    internal PgpPublicKey Primary { get; }

    internal IReadOnlyList<PgpSignature> KeyRevocations { get; }

    internal IReadOnlyList<PgpSignature> DirectKeySignatures { get; }

    public static Certificate Parse(ReadOnlySpan<byte> data, int maxBytes = DefaultMaxBytes) =>
        Read(OpenPgpInput.ToBinary(data, maxBytes));

    public static Certificate Parse(string text, int maxBytes = DefaultMaxBytes) =>
        Parse(OpenPgpInput.FromText(text, maxBytes), maxBytes);

    /// <summary>Reads at most <paramref name="maxBytes"/> from <paramref name="stream"/>, then parses.</summary>
    public static async Task<Certificate> LoadAsync(
        Stream stream, int maxBytes = DefaultMaxBytes, CancellationToken cancellationToken = default)
    {
        var data = await OpenPgpInput.ReadCappedAsync(stream, maxBytes, cancellationToken).ConfigureAwait(false);
        return Parse(data, maxBytes);
    }

    public byte[] GetFingerprintBytes() => (byte[])fingerprint.Clone();

    public bool IsExpired(DateTimeOffset at) => ExpiresAt is { } expiry && expiry <= at;

    /// <summary>Valid, non-revoked user IDs carrying <paramref name="address"/> (compared canonically).</summary>
    public IReadOnlyList<CertificateUserId> UserIdsFor(EmailAddress address) =>
        UserIds.Where(u => u.IsUsable && u.Matches(address)).ToList();

    public bool HasUserIdFor(EmailAddress address) => UserIdsFor(address).Count > 0;

    /// <summary>Subkeys a sender may encrypt to at <paramref name="at"/>.</summary>
    public IReadOnlyList<CertificateSubkey> EncryptionSubkeys(DateTimeOffset at) =>
        Subkeys.Where(s => s.IsUsableForEncryption(at)).ToList();

    public byte[] ToBinary() => Ring.GetEncoded();

    public string ToArmored() => OpenPgpArmor.Armor(Ring.GetEncoded());

    /// <summary>The BouncyCastle object, for encryption and verification code in Keypost.</summary>
    public PgpPublicKeyRing ToBouncyCastle() => Ring;

    public override string ToString() => $"{PrimaryAlgorithmName} {Fingerprint}";

    internal static Certificate Read(byte[] binary)
    {
        var tags = PacketScanner.Tags(binary);
        CertificateShape.CheckPublic(tags);
        try
        {
            return new Certificate(new PgpPublicKeyRing(binary));
        }
        catch (Exception e) when (e is not OpenPgpException and not OutOfMemoryException)
        {
            // BouncyCastle reports malformed key material with many exception types.
            throw new OpenPgpException(
                OpenPgpError.Malformed,
                "the certificate is malformed: " + OpenPgpInput.OneLine(e.Message),
                e);
        }
    }

    private CertificateUserId ReadUserId(byte[] rawId)
    {
        var text = Encoding.UTF8.GetString(rawId);
        var signatures = Primary.GetSignaturesForId(rawId)?.ToList() ?? [];
        var selfSignature = SelfSignatures
            .Candidates(signatures, Primary, fingerprint, 0x10, 0x11, 0x12, 0x13)
            .FirstOrDefault(s => SelfSignatures.VerifyUserId(s, text, Primary));
        var revocations = SelfSignatures
            .Candidates(signatures, Primary, fingerprint, PgpSignature.CertificationRevocation)
            .Where(s => SelfSignatures.VerifyUserId(s, text, Primary))
            .ToList();
        return new CertificateUserId(rawId, text, selfSignature, revocations);
    }

    private CertificateSubkey ReadSubkey(PgpPublicKey subkey)
    {
        var signatures = subkey.GetSignatures().ToList();
        var binding = SelfSignatures
            .Candidates(signatures, Primary, fingerprint, PgpSignature.SubkeyBinding)
            .FirstOrDefault(s => SelfSignatures.VerifyBinding(s, Primary, subkey));
        var revocations = SelfSignatures
            .Candidates(signatures, Primary, fingerprint, PgpSignature.SubkeyRevocation)
            .Where(s => SelfSignatures.VerifyBinding(s, Primary, subkey))
            .ToList();
        return new CertificateSubkey(subkey, binding, revocations);
    }

    // RFC 4880 §5.2.3.3: the newest self-signature carries the key's current properties, its expiry included.
    private PgpSignature? LatestSelfSignature() =>
        DirectKeySignatures
            .Concat(UserIds.Where(u => u.IsUsable).Select(u => u.SelfSignature!))
            .OrderByDescending(s => s.CreationTime)
            .FirstOrDefault();
}
