using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// A transferable secret key (RFC 4880 §11.2): the user's private side. It stays on the user's machine; only
/// <see cref="Certificate"/> is ever published.
/// </summary>
public sealed class SecretKey
{
    internal SecretKey(PgpSecretKeyRing ring)
    {
        Ring = ring;
        using var publicPart = new MemoryStream();
        foreach (var key in ring.GetPublicKeys())
        {
            key.Encode(publicPart);
        }

        Certificate = Certificate.Read(publicPart.ToArray());
    }

    /// <summary>The public certificate of this key.</summary>
    public Certificate Certificate { get; }

    public string Fingerprint => Certificate.Fingerprint;

    /// <summary>False when the secret material is stored without a passphrase.</summary>
    public bool IsProtected =>
        Ring.GetSecretKeys().Any(k => !k.IsPrivateKeyEmpty && k.KeyEncryptionAlgorithm != SymmetricKeyAlgorithmTag.Null);

    internal PgpSecretKeyRing Ring { get; }

    public static SecretKey Parse(ReadOnlySpan<byte> data, int maxBytes = Certificate.DefaultMaxBytes) =>
        Read(OpenPgpInput.ToBinary(data, maxBytes));

    public static SecretKey Parse(string text, int maxBytes = Certificate.DefaultMaxBytes) =>
        Parse(OpenPgpInput.FromText(text, maxBytes), maxBytes);

    public static async Task<SecretKey> LoadAsync(
        Stream stream, int maxBytes = Certificate.DefaultMaxBytes, CancellationToken cancellationToken = default)
    {
        var data = await OpenPgpInput.ReadCappedAsync(stream, maxBytes, cancellationToken).ConfigureAwait(false);
        return Parse(data, maxBytes);
    }

    /// <summary>Decrypts the secret material; a wrong passphrase is an <see cref="OpenPgpException"/>.</summary>
    public UnlockedSecretKey Unlock(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);

        // GnuPG hashes the passphrase as UTF-8 (RFC 9580 §3.7: the passphrase is UTF-8 encoded).
        var raw = Encoding.UTF8.GetBytes(passphrase);
        var keys = new List<PgpPrivateKey>();
        foreach (var secret in Ring.GetSecretKeys().Where(k => !k.IsPrivateKeyEmpty))
        {
            try
            {
                keys.Add(secret.ExtractPrivateKeyRaw(raw));
            }
            catch (PgpException e)
            {
                throw new OpenPgpException(
                    OpenPgpError.WrongPassphrase,
                    $"the passphrase does not unlock the secret key {Fingerprint}",
                    e);
            }
        }

        return new UnlockedSecretKey(Certificate, keys);
    }

    public byte[] ToBinary() => Ring.GetEncoded();

    public string ToArmored() => OpenPgpArmor.Armor(Ring.GetEncoded());

    public PgpSecretKeyRing ToBouncyCastle() => Ring;

    public override string ToString() => "secret key " + Fingerprint;

    private static SecretKey Read(byte[] binary)
    {
        CertificateShape.CheckSecret(PacketScanner.Tags(binary));
        try
        {
            return new SecretKey(new PgpSecretKeyRing(binary));
        }
        catch (Exception e) when (e is not OpenPgpException and not OutOfMemoryException)
        {
            throw new OpenPgpException(
                OpenPgpError.Malformed,
                "the secret key is malformed: " + OpenPgpInput.OneLine(e.Message),
                e);
        }
    }
}
