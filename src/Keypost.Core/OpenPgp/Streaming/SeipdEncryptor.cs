using System.Buffers;
using System.Security.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// Writes an encrypted OpenPGP message as a stream (RFC 4880 §11.3): one PKESK per recipient key, then a SEIPD v1
/// packet with AES-256 whose inside is a one-pass signature (when signing), the literal data and the signature.
/// No compression: it leaks through length and costs more than it saves on mail (see OpenPgpProfile).
/// </summary>
internal static class SeipdEncryptor
{
    private const int ChunkSize = 1 << 16;

    // Work handed to the second core in 1 MiB pieces: on a busy machine every hand-off waits for a time slice.
    private const int ParallelChunkSize = 1 << 20;

    /// <summary>Whether every recipient key is one whose session key packet is written here.</summary>
    public static bool Supports(IEnumerable<PgpPublicKey> keys) => keys.All(k => SessionKeyPackets.Supports(k.PublicKeyPacket));

    /// <summary>Writes the session key packets and opens the SEIPD body; disposing the result ends the message.</summary>
    public static Stream Open(Stream output, IReadOnlyList<PgpPublicKey> recipients, SecureRandom random)
    {
        // RFC 4880 §5.13 with OpenPgpProfile's cipher (AES-256), whatever the recipients prefer: all read it.
        var key = new byte[32];
        random.NextBytes(key);
        try
        {
            var info = SessionKeyPackets.SessionInfo(SymmetricKeyAlgorithmTag.Aes256, key);
            foreach (var recipient in recipients)
            {
                output.Write(SessionKeyPackets.Encrypt(recipient, info, random));
            }

            CryptographicOperations.ZeroMemory(info);
            var body = new PacketBodyWriter(output, (int)PacketTag.SymmetricEncryptedIntegrityProtected);
            body.WriteByte(1);  // SEIPD version 1
            return new CfbMdcWriter(body, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Writes the packets inside the encryption: one-pass signature (RFC 4880 §5.4) when <paramref name="signingKey"/>
    /// is given, the literal data (§5.9) read from <paramref name="plaintext"/>, the signature. With
    /// <paramref name="parallel"/>, each chunk's signature hash runs on a second core while the
    /// chunk itself is encrypted and MDC-hashed on this one (large data; small messages stay on one thread).
    /// </summary>
    public static async Task WriteLiteralAsync(
        Stream encrypted,
        Stream plaintext,
        PgpPrivateKey? signingKey,
        PgpPublicKey? signerPrimary,
        DateTime now,
        SecureRandom random,
        bool parallel,
        CancellationToken cancellationToken)
    {
        using var signature = signingKey is not null && signerPrimary is not null
            ? new DocumentSignatureWriter(signingKey, signerPrimary, now, random)
            : null;
        signature?.WriteOnePass(encrypted);

        // Two buffers: the next chunk is read into one while the other may still be hashed.
        var chunkSize = parallel ? ParallelChunkSize : ChunkSize;
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(chunkSize), ArrayPool<byte>.Shared.Rent(chunkSize)];
        var hashing = Task.CompletedTask;
        try
        {
            using (var literal = new PacketBodyWriter(encrypted, (int)PacketTag.LiteralData))
            {
                // RFC 4880 §5.9: 'b' binary, an empty file name, the time as four octets.
                var seconds = (uint)new DateTimeOffset(now, TimeSpan.Zero).ToUnixTimeSeconds();
                literal.Write([(byte)'b', 0, (byte)(seconds >> 24), (byte)(seconds >> 16), (byte)(seconds >> 8), (byte)seconds]);
                var current = 0;
                int read;
                while ((read = await plaintext.ReadAtLeastAsync(buffers[current].AsMemory(0, chunkSize), chunkSize, throwOnEndOfStream: false, cancellationToken)) > 0)
                {
                    if (signature is not null)
                    {
                        // The hash sees the chunks in order; the buffer read two chunks ago is free once it is done.
                        await hashing;
                        var chunk = buffers[current];
                        var length = read;
                        if (parallel)
                        {
                            hashing = Task.Run(() => signature.Update(chunk.AsSpan(0, length)), cancellationToken);
                        }
                        else
                        {
                            signature.Update(chunk.AsSpan(0, length));
                        }
                    }

                    literal.Write(buffers[current], 0, read);
                    current ^= 1;
                }

                await hashing;
            }

            signature?.WriteSignature(encrypted);
        }
        finally
        {
            // Already failing: the hash task only has to be finished with the buffers, its own outcome is moot.
            await hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(buffers[0], clearArray: true);
            ArrayPool<byte>.Shared.Return(buffers[1], clearArray: true);
        }
    }
}
