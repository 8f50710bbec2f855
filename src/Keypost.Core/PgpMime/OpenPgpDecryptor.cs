using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;

namespace Keypost.Core.PgpMime;

/// <summary>
/// Decrypts an OpenPGP message with BouncyCastle in the order that keeps EFAIL-style tampering out: refuse data
/// without an MDC, read the whole decrypted packet stream, refuse a failed MDC, and only then look inside.
/// </summary>
internal static class OpenPgpDecryptor
{
    public static DecryptedPayload Decrypt(byte[] message, IReadOnlyList<UnlockedSecretKey> keys, long maxPlaintextBytes)
    {
        if (DecryptStreamed(message, keys, maxPlaintextBytes) is { } streamed)
        {
            return streamed;
        }

        var list = ReadEncryptedDataList(message);
        var candidates = list.GetEncryptedDataObjects().OfType<PgpPublicKeyEncryptedData>().ToList();
        var recipientIds = candidates.Select(c => unchecked((ulong)c.KeyId)).ToList();
        var (data, privateKey) = candidates
            .SelectMany(c => keys.Select(k => (Data: c, Key: k.FindPrivateKey(unchecked((ulong)c.KeyId)))))
            .FirstOrDefault(p => p.Key is not null);
        if (data is null || privateKey is null)
        {
            throw new OpenPgpException(
                OpenPgpError.NoDecryptionKey,
                "none of the secret keys can decrypt the message; it is encrypted to "
                + (recipientIds.Count == 0 ? "no public key" : string.Join(", ", recipientIds.Select(Hex))));
        }

        // RFC 4880 §5.7 / RFC 9580 §5.7: the SED packet has no integrity protection; EFAIL's malleability gadgets
        // need exactly that, so it is never decrypted.
        if (!data.IsIntegrityProtected())
        {
            throw new OpenPgpException(
                OpenPgpError.NotIntegrityProtected,
                "the message is encrypted without integrity protection (no MDC) and is refused");
        }

        var raw = DecryptVerified(data, privateKey, message.Length);
        var cipher = data.GetSymmetricAlgorithm(privateKey).ToString();
        try
        {
            return InnerPackets.Read(raw, maxPlaintextBytes) with
            {
                DecryptedWithKeyId = unchecked((ulong)privateKey.KeyId),
                Cipher = cipher,
                RecipientKeyIds = recipientIds,
            };
        }
        catch (Exception e) when (MalformedPackets.Is(e))
        {
            throw new OpenPgpException(OpenPgpError.Malformed, "the decrypted message is malformed: " + e.Message, e);
        }
    }

    // .NET's AES-CFB and SHA-1 (SeipdDecryptor) for AES with Curve25519 or RSA keys; null for anything else,
    // which BouncyCastle's own path below reads.
    private static DecryptedPayload? DecryptStreamed(byte[] message, IReadOnlyList<UnlockedSecretKey> keys, long maxPlaintextBytes)
    {
        EncryptedMessage? opened;
        try
        {
            opened = SeipdDecryptor.Open(PgpUtilities.GetDecoderStream(new MemoryStream(message, false)), keys);
        }
        catch (IOException e)
        {
            // ArmoredInputStream reports a bad CRC-24 (RFC 4880 §6.1) as an IOException.
            throw new OpenPgpException(OpenPgpError.Malformed, "the encrypted data is malformed: " + e.Message, e);
        }

        if (opened is null)
        {
            return null;
        }

        using var raw = new MemoryStream();
        try
        {
            // The decrypted packets are at most as long as the ciphertext: still compressed, so this is bounded.
            SeipdDecryptor.Decrypt(opened, raw, message.Length, CancellationToken.None);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(opened.SessionKey);
        }

        try
        {
            // RFC 4880 §5.14: only now, with the MDC matched, is anything inside looked at.
            return InnerPackets.Read(raw.ToArray(), maxPlaintextBytes) with
            {
                DecryptedWithKeyId = opened.DecryptedWithKeyId,
                Cipher = opened.Algorithm.ToString(),
                RecipientKeyIds = opened.RecipientKeyIds,
            };
        }
        catch (Exception e) when (MalformedPackets.Is(e))
        {
            throw new OpenPgpException(OpenPgpError.Malformed, "the decrypted message is malformed: " + e.Message, e);
        }
    }

    private static PgpEncryptedDataList ReadEncryptedDataList(byte[] message)
    {
        try
        {
            var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(new MemoryStream(message)));
            var next = factory.NextPgpObject();
            while (next is PgpMarker)
            {
                next = factory.NextPgpObject();
            }

            return next as PgpEncryptedDataList
                ?? throw new OpenPgpException(OpenPgpError.NotOpenPgp, "the data is not an encrypted OpenPGP message");
        }
        catch (Exception e) when (MalformedPackets.Is(e))
        {
            // ArmoredInputStream reports a bad CRC-24 (RFC 4880 §6.1) as an IOException.
            throw new OpenPgpException(OpenPgpError.Malformed, "the encrypted data is malformed: " + e.Message, e);
        }
    }

    private static byte[] DecryptVerified(PgpPublicKeyEncryptedData data, PgpPrivateKey key, long maxBytes)
    {
        Stream clear;
        try
        {
            clear = data.GetDataStream(key);
        }
        catch (Exception e) when (e is PgpException or CryptoException or ArgumentException)
        {
            // A wrong session key or a damaged prefix (the two quick-check bytes, RFC 4880 §5.13); a damaged
            // session key packet fails its own checksum (RFC 9580 §5.1.3) as BouncyCastle's CryptoException, and an
            // ephemeral X25519 key that is no point (RFC 7748 §5) as an ArgumentException (found by AFL++).
            throw new OpenPgpException(OpenPgpError.IntegrityCheckFailed, "the message cannot be decrypted: " + e.Message, e);
        }

        byte[] raw;
        bool intact;
        try
        {
            // The decrypted packets are at most as long as the ciphertext: still compressed, so this is bounded.
            raw = CappedRead.ReadAll(clear, maxBytes, "decrypted data");
            intact = data.Verify();
        }
        catch (Exception e) when (e is IOException or PgpException or CryptoException)
        {
            throw new OpenPgpException(OpenPgpError.IntegrityCheckFailed, "the ciphertext is cut short or damaged", e);
        }

        // RFC 4880 §5.14: nothing decrypted is used unless the MDC matches.
        if (!intact)
        {
            throw new OpenPgpException(
                OpenPgpError.IntegrityCheckFailed,
                "the integrity check (MDC) failed: the message was altered and is refused");
        }

        return raw;
    }

    private static string Hex(ulong keyId) => keyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}
