using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Keypost.Core.PgpMime;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// In charge of encrypting and decrypting OpenPGP messages as streams, without holding them in memory.
/// OpenPGP encryption and decryption of data of any size as streams, in memory bounded by a few 64 KiB buffers.
/// The symmetric work (AES-CFB, SHA-1 MDC) is .NET's; packets and public-key work are BouncyCastle's.
/// Decryption writes to a private temporary file (0600, unlinked at once) and releases nothing to the caller's
/// output until the MDC matched (RFC 4880 §5.14); a refused message leaves the output untouched.
/// </summary>
/// <remarks>
/// The cryptographic pipeline writes and reads its streams synchronously between awaits; give it file or
/// buffered streams, not a socket with back-pressure. Recipient keys: Curve25519 ECDH and RSA (what Keypost
/// and GnuPG generate); ciphers: AES. <see cref="PgpMimeComposer"/> and <see cref="PgpMimeReader"/> handle
/// the rest through BouncyCastle.
/// </remarks>
public sealed class StreamingOpenPgp
{
    /// <summary>Default cap on decrypted (and decompressed) data: 16 GiB.</summary>
    public const long DefaultMaxPlaintextBytes = 16L << 30;

    private const int ChunkSize = 1 << 16;

    // Work handed to the second core in 1 MiB pieces: on a busy machine every hand-off waits for a time slice.
    private const int ParallelChunkSize = 1 << 20;

    private readonly string temporaryDirectory;
    private readonly long maxPlaintextBytes;
    private readonly TimeProvider time;
    private readonly SecureRandom random;

    /// <param name="temporaryDirectory">Where unverified plaintext is staged; the system temp directory by default.</param>
    /// <param name="maxPlaintextBytes">Refuse decrypted data past this size (compression bombs).</param>
    public StreamingOpenPgp(
        string? temporaryDirectory = null,
        long maxPlaintextBytes = DefaultMaxPlaintextBytes,
        TimeProvider? time = null,
        SecureRandom? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPlaintextBytes, 1);
        this.temporaryDirectory = temporaryDirectory ?? Path.GetTempPath();
        this.maxPlaintextBytes = maxPlaintextBytes;
        this.time = time ?? TimeProvider.System;
        this.random = random ?? new SecureRandom();
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> to every usable encryption subkey of <paramref name="recipients"/>,
    /// signed by <paramref name="signer"/> when given (RFC 4880 §11.3: PKESK..., SEIPD(one-pass signature, literal
    /// data, signature, MDC)), binary or ASCII-armored (§6.2).
    /// </summary>
    /// <exception cref="OpenPgpException">NoEncryptionKey: a certificate has no usable or supported encryption key.</exception>
    public async Task EncryptAsync(
        Stream plaintext,
        Stream output,
        IEnumerable<Certificate> recipients,
        UnlockedSecretKey? signer,
        bool armor,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(recipients);
        var now = time.GetUtcNow();
        var keys = RecipientKeys.For(recipients, now);
        if (keys.Count == 0)
        {
            throw new ArgumentException("no recipients to encrypt to", nameof(recipients));
        }

        if (!SeipdEncryptor.Supports(keys))
        {
            throw new OpenPgpException(
                OpenPgpError.NoEncryptionKey,
                "a recipient's encryption key is neither Curve25519 nor RSA, which streaming encryption needs");
        }

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).UtcDateTime;
        // No "Version:" header: it only leaks software details (RFC 9580 §6.2.2.1 discourages it).
        var target = armor ? ArmoredOutputStream.Build().ClearHeaders().Build(new KeepOpenStream(output)) : output;
        try
        {
            using (var encrypted = SeipdEncryptor.Open(target, keys, random))
            {
                await SeipdEncryptor.WriteLiteralAsync(
                    encrypted, plaintext, signer?.SigningKey, signer?.Certificate.ToBouncyCastle().GetPublicKey(), signedAt, random, parallel: true, cancellationToken);
            }
        }
        finally
        {
            if (armor)
            {
                await target.DisposeAsync();
            }
        }

        await output.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Decrypts an OpenPGP message (binary or armored) into <paramref name="output"/>, only after its MDC matched,
    /// and verifies a signature inside with the certificate <paramref name="findCertificate"/> returns.
    /// </summary>
    /// <exception cref="OpenPgpException">
    /// NotOpenPgp, Malformed, NotIntegrityProtected, NoDecryptionKey, IntegrityCheckFailed or TooLarge; nothing was
    /// written to <paramref name="output"/> then.
    /// </exception>
    public async Task<StreamDecryption> DecryptAsync(
        Stream input,
        Stream output,
        IEnumerable<UnlockedSecretKey> keys,
        Func<ulong, Certificate?> findCertificate,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(findCertificate);

        EncryptedMessage opened;
        try
        {
            opened = SeipdDecryptor.Open(OpenPgpDecoding.Decoder(input), keys.ToList())
                ?? throw new OpenPgpException(
                    OpenPgpError.NoDecryptionKey,
                    "the message needs a key or cipher other than Curve25519/RSA and AES, which streaming decryption reads");
        }
        catch (IOException e)
        {
            throw new OpenPgpException(OpenPgpError.Malformed, "the encrypted data is malformed: " + e.Message, e);
        }

        await using var staged = PrivateTempFile.Create(temporaryDirectory);
        try
        {
            // Still compressed at most as large as the ciphertext; the cap applies again to what is released.
            await SeipdDecryptor.DecryptAsync(opened, staged, long.MaxValue, parallel: true, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(opened.SessionKey);
        }

        // RFC 4880 §5.14: the MDC matched; only now is anything inside read.
        staged.Position = 0;
        try
        {
            return await ReleaseAsync(staged, output, findCertificate, cancellationToken) with
            {
                DecryptedWithKeyId = Hex(opened.DecryptedWithKeyId),
                RecipientKeyIds = opened.RecipientKeyIds.Select(Hex).ToList(),
                Cipher = opened.Algorithm.ToString(),
            };
        }
        catch (Exception e) when (MalformedPackets.Is(e))
        {
            throw new OpenPgpException(OpenPgpError.Malformed, "the decrypted message is malformed: " + e.Message, e);
        }
    }

    // RFC 4880 §11.3 inside the verified data: maybe one compression layer, then a one-pass signed or plain
    // literal data packet. Compressed data is inflated to a second private file first, so the cap is known to
    // hold before the first byte reaches the caller. The packets are read here (PacketReader), not through
    // BouncyCastle's packet streams, which cost more than the AES on a large message.
    private async Task<StreamDecryption> ReleaseAsync(
        FileStream staged, Stream output, Func<ulong, Certificate?> findCertificate, CancellationToken cancellationToken)
    {
        Stream source = new BufferedStream(staged, ChunkSize);
        var reader = new PacketReader(source);
        var next = reader.Next();
        FileStream? inflated = null;
        try
        {
            var compressed = false;
            if (next is { Tag: (int)PacketTag.CompressedData } compressedHeader)
            {
                compressed = true;
                source.Position = compressedHeader.Start;
                var compressedData = new PgpObjectFactory(source).NextPgpObject() as PgpCompressedData
                    ?? throw PacketReader.Malformed("the compressed data packet cannot be read");
                inflated = PrivateTempFile.Create(temporaryDirectory);
                await CopyCappedAsync(compressedData.GetDataStream(), inflated, null, cancellationToken);
                inflated.Position = 0;
                source = new BufferedStream(inflated, ChunkSize);
                reader = new PacketReader(source);
                next = reader.Next();
            }

            // RFC 4880 §5.4: one or more one-pass signatures; the first names the signature checked here.
            PgpOnePassSignature? onePass = null;
            while (next is { Tag: (int)PacketTag.OnePassSignature } onePassHeader)
            {
                var parsed = Reparse(PacketTag.OnePassSignature, reader.ReadBody(onePassHeader, 1024)) as PgpOnePassSignatureList;
                onePass ??= parsed is { Count: > 0 } ? parsed[0] : throw PacketReader.Malformed("a one-pass signature cannot be read");
                next = reader.Next();
            }

            if (next is not { Tag: (int)PacketTag.LiteralData } literalHeader)
            {
                throw new OpenPgpException(OpenPgpError.Malformed, "the decrypted message holds no literal data");
            }

            if (!compressed && staged.Length > maxPlaintextBytes)
            {
                throw new OpenPgpException(OpenPgpError.TooLarge, $"the decrypted message is larger than the limit of {maxPlaintextBytes} bytes");
            }

            var signerId = onePass is null ? (ulong?)null : unchecked((ulong)onePass.KeyId);
            var certificate = signerId is { } id ? findCertificate(id) : null;
            var key = certificate?.ToBouncyCastle().GetPublicKey(onePass!.KeyId);
            using var verifier = key is null ? null : new DocumentSignatureVerifier(onePass!, key);

            long written;
            using (var literal = (PacketBodyReader)reader.OpenBody(literalHeader))
            {
                // RFC 9580 §5.9: format octet, file name with its length octet, four octets of date, then the data.
                Span<byte> head = stackalloc byte[2];
                literal.ReadAll(head);
                Span<byte> nameAndDate = stackalloc byte[head[1] + 4];
                literal.ReadAll(nameAndDate);
                written = await CopyCappedAsync(literal, output, verifier, cancellationToken);
            }

            // The signatures after the literal data (RFC 4880 §11.3); the one by the first one-pass key counts.
            (PgpSignature Parsed, byte[] Body)? signature = null;
            while (onePass is not null && reader.Next() is { Tag: (int)PacketTag.Signature } signatureHeader)
            {
                var body = reader.ReadBody(signatureHeader, 1 << 16);
                var list = Reparse(PacketTag.Signature, body) as PgpSignatureList;
                var match = list is null
                    ? null
                    : Enumerable.Range(0, list.Count).Select(i => list[i]).FirstOrDefault(s => s.KeyId == onePass.KeyId);
                if (match is not null)
                {
                    signature = (match, body);
                    break;
                }
            }

            var verdict = signature is not { } found || onePass is null
                ? new PgpMimeSignature(PgpMimeSignatureStatus.Unsigned, "the data is not signed")
                : new SignatureChecker(k => k == signerId ? certificate : null)
                    .Check(found.Parsed.KeyId, found.Parsed, _ => verifier is not null && verifier.Verify(found.Parsed, found.Body), from: null);
            return new StreamDecryption("", [], "", written, compressed, verdict);
        }
        finally
        {
            if (inflated is not null)
            {
                await inflated.DisposeAsync();
            }
        }
    }

    // With a signature to check, each chunk's hash runs on a second core while the chunk is written.
    private async Task<long> CopyCappedAsync(Stream source, Stream destination, DocumentSignatureVerifier? hash, CancellationToken cancellationToken)
    {
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(ParallelChunkSize), ArrayPool<byte>.Shared.Rent(ParallelChunkSize)];
        var hashing = Task.CompletedTask;
        try
        {
            long total = 0;
            var current = 0;
            int read;
            while ((read = source.ReadAtLeast(buffers[current].AsSpan(0, ParallelChunkSize), ParallelChunkSize, throwOnEndOfStream: false)) > 0)
            {
                total += read;
                if (total > maxPlaintextBytes)
                {
                    // Stops a compression bomb where it crosses the limit, long before its declared size.
                    throw new OpenPgpException(OpenPgpError.TooLarge, $"the decrypted message is larger than the limit of {maxPlaintextBytes} bytes");
                }

                if (hash is not null)
                {
                    // The hash sees the chunks in order; the buffer read two chunks ago is free once it is done.
                    await hashing;
                    var chunk = buffers[current];
                    var length = read;
                    hashing = Task.Run(() => hash.Update(chunk.AsSpan(0, length)), cancellationToken);
                }

                await destination.WriteAsync(buffers[current].AsMemory(0, read), cancellationToken);
                current ^= 1;
            }

            await hashing;
            return total;
        }
        finally
        {
            // Already failing: the hash task only has to be finished with the buffers, its own outcome is moot.
            await hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(buffers[0], clearArray: true);
            ArrayPool<byte>.Shared.Return(buffers[1], clearArray: true);
        }
    }

    // BouncyCastle parses the small packets (for their fields and the signature checker); their bodies are ours.
    private static object? Reparse(PacketTag tag, byte[] body)
    {
        using var packet = new MemoryStream(body.Length + 6);
        packet.WriteByte((byte)(0xC0 | (int)tag));
        PacketBodyWriter.WriteLength(packet, body.Length);
        packet.Write(body);
        packet.Position = 0;
        return new PgpObjectFactory(packet).NextPgpObject();
    }

    private static string Hex(ulong keyId) => keyId.ToString("X16", CultureInfo.InvariantCulture);
}
