using System.Buffers;
using System.Numerics;
using System.Security.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// Opens an encrypted OpenPGP message (RFC 4880 §11.3: session key packets, then one SEIPD v1 packet) and
/// decrypts its body with .NET's AES-CFB and SHA-1, checking the MDC (§5.14) at the end. What it writes before
/// the check is unverified: callers write to a private temporary place and release nothing until it returns.
/// </summary>
internal static class SeipdDecryptor
{
    private const int BlockSize = 16;
    private const int PrefixSize = BlockSize + 2;
    private const int MdcPacketSize = 22;
    private const int ChunkSize = 1 << 16;

    // Work handed to the second core in 1 MiB pieces: on a busy machine every hand-off waits for a time slice.
    private const int ParallelChunkSize = 1 << 20;

    /// <summary>
    /// Reads up to the SEIPD body. Null when the message is well formed but needs what only BouncyCastle's own
    /// path does (another public-key or symmetric algorithm): the caller then falls back to it.
    /// </summary>
    public static EncryptedMessage? Open(Stream binary, IReadOnlyList<UnlockedSecretKey> keys)
    {
        var input = new BcpgInputStream(binary);
        var sessionPackets = new List<PublicKeyEncSessionPacket>();
        SymmetricEncIntegrityPacket seipd;
        try
        {
            while (true)
            {
                var tag = input.SkipMarkerPackets();
                if (tag < 0)
                {
                    throw new OpenPgpException(OpenPgpError.NotOpenPgp, "the data is not an encrypted OpenPGP message");
                }

                var packet = input.ReadPacket();
                if (packet is PublicKeyEncSessionPacket pkesk)
                {
                    sessionPackets.Add(pkesk);
                }
                else if (packet is SymmetricEncIntegrityPacket integrity)
                {
                    seipd = integrity;
                    break;
                }
                else if (packet is SymmetricEncDataPacket)
                {
                    // RFC 4880 §5.7: no integrity protection; EFAIL's gadgets need exactly that.
                    throw new OpenPgpException(
                        OpenPgpError.NotIntegrityProtected,
                        "the message is encrypted without integrity protection (no MDC) and is refused");
                }
                else if (packet is not SymmetricKeyEncSessionPacket)
                {
                    throw new OpenPgpException(OpenPgpError.NotOpenPgp, "the data is not an encrypted OpenPGP message");
                }
            }
        }
        catch (Exception e) when (MalformedPackets.Is(e))
        {
            throw new OpenPgpException(OpenPgpError.Malformed, "the encrypted data is malformed: " + e.Message, e);
        }

        var recipients = sessionPackets.Select(p => unchecked((ulong)p.KeyId)).ToList();
        if (seipd.Version != SymmetricEncIntegrityPacket.Version1)
        {
            return null;
        }

        var match = sessionPackets
            .Where(p => p.Version == PublicKeyEncSessionPacket.Version3)
            .SelectMany(p => keys.Select(k => (Packet: p, Key: k.FindPrivateKey(unchecked((ulong)p.KeyId)))))
            .FirstOrDefault(m => m.Key is not null);
        if (match.Key is null)
        {
            throw new OpenPgpException(
                OpenPgpError.NoDecryptionKey,
                "none of the secret keys can decrypt the message; it is encrypted to "
                + (recipients.Count == 0 ? "no public key" : string.Join(", ", recipients.Select(Hex))));
        }

        if (!SessionKeyPackets.Supports(match.Key.PublicKeyPacket))
        {
            return null;
        }

        SymmetricKeyAlgorithmTag algorithm;
        byte[] sessionKey;
        try
        {
            (algorithm, sessionKey) = SessionKeyPackets.Decrypt(match.Packet, match.Key);
        }
        catch (Exception e) when (e is CryptoException or PgpException or ArgumentException or InvalidCastException)
        {
            // A damaged session key packet fails its checksum or key unwrap (RFC 3394 §2.2.3 integrity check).
            throw new OpenPgpException(OpenPgpError.IntegrityCheckFailed, "the message cannot be decrypted: " + e.Message, e);
        }

        if (algorithm is not (SymmetricKeyAlgorithmTag.Aes128 or SymmetricKeyAlgorithmTag.Aes192 or SymmetricKeyAlgorithmTag.Aes256)
            || sessionKey.Length != KeyLength(algorithm))
        {
            CryptographicOperations.ZeroMemory(sessionKey);
            return algorithm is SymmetricKeyAlgorithmTag.Aes128 or SymmetricKeyAlgorithmTag.Aes192 or SymmetricKeyAlgorithmTag.Aes256
                ? throw new OpenPgpException(OpenPgpError.IntegrityCheckFailed, "the message cannot be decrypted: wrong session key length")
                : null;
        }

        return new EncryptedMessage(seipd.GetInputStream(), algorithm, sessionKey, unchecked((ulong)match.Key.KeyId), recipients);
    }

    /// <summary>
    /// Decrypts the body into <paramref name="destination"/> (the packets inside: literal data, signatures, maybe
    /// compressed) and checks the MDC; an <see cref="OpenPgpException"/> with IntegrityCheckFailed when it fails
    /// or the data is cut short, TooLarge past <paramref name="maxBytes"/>. Returns the bytes written.
    /// </summary>
    public static long Decrypt(EncryptedMessage message, Stream destination, long maxBytes, CancellationToken cancellationToken) =>
        // Not parallel: nothing is awaited that is not already complete, so this returns synchronously.
        DecryptAsync(message, destination, maxBytes, parallel: false, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// As <see cref="Decrypt"/>; with <paramref name="parallel"/>, the MDC's SHA-1 and the write of each chunk run
    /// on a second core while the next chunk is decrypted (large data; small messages stay on one thread).
    /// </summary>
    public static async Task<long> DecryptAsync(
        EncryptedMessage message, Stream destination, long maxBytes, bool parallel, CancellationToken cancellationToken)
    {
        // CFB decryption is P[i] = C[i] xor AES(C[i-1]) with C[-1] the zero IV (RFC 4880 §13.9): every block's
        // keystream is known from the ciphertext, so it is one ECB encryption of the ciphertext shifted by one
        // block, which OpenSSL runs several blocks at a time with AES-NI (its CFB mode goes block by block).
        using var aes = Aes.Create();
        aes.Key = message.SessionKey;
        aes.Mode = CipherMode.ECB;
        aes.Padding = PaddingMode.None;
        using var keystream = aes.CreateEncryptor();
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        // cipher[0..16) holds the previous ciphertext block (the zero IV at first), the chunk follows it.
        var chunkSize = parallel ? ParallelChunkSize : ChunkSize;
        var cipher = ArrayPool<byte>.Shared.Rent(BlockSize + chunkSize + BlockSize);
        // Two plaintext buffers: one is decrypted into while the other may still be hashed and written.
        byte[][] plains =
        [
            ArrayPool<byte>.Shared.Rent(chunkSize + BlockSize + MdcPacketSize),
            ArrayPool<byte>.Shared.Rent(chunkSize + BlockSize + MdcPacketSize),
        ];
        var current = 0;
        var sink = Task.CompletedTask;
        try
        {
            cipher.AsSpan(0, BlockSize).Clear();
            var carried = 0;    // ciphertext octets short of a whole block, at cipher[16..]
            var held = 0;       // the newest plaintext octets, kept back since the last 22 are the MDC packet
            long seen = 0;      // plaintext octets passed on to hashing so far
            long written = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var plain = plains[current];
                int read;
                try
                {
                    read = message.Body.ReadAtLeast(cipher.AsSpan(BlockSize + carried, chunkSize - carried), chunkSize - carried, throwOnEndOfStream: false);
                }
                catch (IOException e)
                {
                    throw new OpenPgpException(OpenPgpError.IntegrityCheckFailed, "the ciphertext is cut short or damaged", e);
                }

                var available = carried + read;
                int whole;
                if (read == 0)
                {
                    // CFB is a stream mode: the last partial block decrypts padded and is cut back.
                    whole = carried;
                    var padded = (carried + BlockSize - 1) / BlockSize * BlockSize;
                    cipher.AsSpan(BlockSize + carried, padded - carried).Clear();
                    if (padded > 0)
                    {
                        CfbDecrypt(keystream, cipher, padded, plain, held);
                    }

                    carried = 0;
                }
                else
                {
                    whole = available / BlockSize * BlockSize;
                    if (whole > 0)
                    {
                        CfbDecrypt(keystream, cipher, whole, plain, held);
                        // The last whole ciphertext block feeds the next one.
                        cipher.AsSpan(whole, BlockSize).CopyTo(cipher);
                    }

                    carried = available - whole;
                    cipher.AsSpan(BlockSize + whole, carried).CopyTo(cipher.AsSpan(BlockSize));
                }

                var total = held + whole;
                var emit = Math.Max(0, total - MdcPacketSize);
                if (emit > 0)
                {
                    // RFC 4880 §5.13: the random prefix and its two repeated octets are not data.
                    var skip = (int)Math.Max(0, Math.Min(emit, PrefixSize - seen));
                    if (written + emit - skip > maxBytes)
                    {
                        throw new OpenPgpException(OpenPgpError.TooLarge, $"the decrypted data is larger than the limit of {maxBytes} bytes");
                    }

                    // The hash sees the chunks in order; the other buffer is free once the previous chunk is done.
                    await sink;
                    var length = emit;
                    if (parallel)
                    {
                        sink = Task.Run(() => HashAndWrite(sha1, plain, length, skip, destination), cancellationToken);
                    }
                    else
                    {
                        HashAndWrite(sha1, plain, length, skip, destination);
                    }

                    written += emit - skip;
                    seen += emit;
                    current ^= 1;
                    plain.AsSpan(emit, total - emit).CopyTo(plains[current]);
                }

                held = total - emit;
                if (read == 0)
                {
                    break;
                }
            }

            await sink;
            var last = plains[current];

            // RFC 4880 §5.14: the MDC packet (tag 19, length 20) ends the data; SHA-1 covers up to its header.
            if (seen < PrefixSize || held != MdcPacketSize || last[0] != 0xD3 || last[1] != 0x14)
            {
                throw new OpenPgpException(OpenPgpError.IntegrityCheckFailed, "the ciphertext is cut short or damaged");
            }

            sha1.AppendData(last, 0, 2);
            var digest = sha1.GetHashAndReset();
            if (!CryptographicOperations.FixedTimeEquals(digest, last.AsSpan(2, 20)))
            {
                throw new OpenPgpException(
                    OpenPgpError.IntegrityCheckFailed,
                    "the integrity check (MDC) failed: the message was altered and is refused");
            }

            return written;
        }
        finally
        {
            // Already failing: the write task only has to be finished with the buffers, its own outcome is moot.
            await sink.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            CryptographicOperations.ZeroMemory(plains[0]);
            CryptographicOperations.ZeroMemory(plains[1]);
            ArrayPool<byte>.Shared.Return(cipher);
            ArrayPool<byte>.Shared.Return(plains[0]);
            ArrayPool<byte>.Shared.Return(plains[1]);
        }
    }

    private static void HashAndWrite(IncrementalHash sha1, byte[] plain, int length, int skip, Stream destination)
    {
        sha1.AppendData(plain, 0, length);
        destination.Write(plain, skip, length - skip);
    }

    // cipher[0..16) is the feedback block and cipher[16..16+length) the ciphertext: AES-ECB of cipher[0..length)
    // is the keystream, xored with the ciphertext into plain[offset..].
    private static void CfbDecrypt(ICryptoTransform keystream, byte[] cipher, int length, byte[] plain, int offset)
    {
        keystream.TransformBlock(cipher, 0, length, plain, offset);
        var output = plain.AsSpan(offset, length);
        var input = cipher.AsSpan(BlockSize, length);
        var i = 0;
        for (; i <= length - Vector<byte>.Count; i += Vector<byte>.Count)
        {
            (new Vector<byte>(output[i..]) ^ new Vector<byte>(input[i..])).CopyTo(output[i..]);
        }

        for (; i < length; i++)
        {
            output[i] ^= input[i];
        }
    }

    private static int KeyLength(SymmetricKeyAlgorithmTag algorithm) => algorithm switch
    {
        SymmetricKeyAlgorithmTag.Aes128 => 16,
        SymmetricKeyAlgorithmTag.Aes192 => 24,
        _ => 32,
    };

    private static string Hex(ulong keyId) => keyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}
