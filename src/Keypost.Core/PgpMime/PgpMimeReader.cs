using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.PgpMime;

/// <summary>
/// Reads a received message: decrypts it only when its root is an RFC 3156 multipart/encrypted, with BouncyCastle
/// (MDC required and checked before anything is parsed), and judges the signature over the whole message against
/// the From address. Refusals are <see cref="OpenPgpException"/>s and return no plaintext.
/// </summary>
public sealed class PgpMimeReader
{
    /// <summary>Default cap on the decrypted (and decompressed) message: 64 MiB.</summary>
    public const long DefaultMaxPlaintextBytes = 64L * 1024 * 1024;

    private const string EncryptedProtocol = "application/pgp-encrypted";
    private const string SignedProtocol = "application/pgp-signature";

    private readonly long maxPlaintextBytes;

    public PgpMimeReader(long maxPlaintextBytes = DefaultMaxPlaintextBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPlaintextBytes, 1);
        this.maxPlaintextBytes = maxPlaintextBytes;
    }

    /// <param name="message">The message as received.</param>
    /// <param name="keys">The reader's unlocked secret keys.</param>
    /// <param name="findCertificate">Finds a signer's certificate by key ID (primary or subkey), or null.</param>
    /// <exception cref="OpenPgpException">
    /// The encrypted root cannot be read: NotIntegrityProtected, IntegrityCheckFailed, NoDecryptionKey, TooLarge,
    /// Malformed or NotOpenPgp.
    /// </exception>
    public PgpMimeReadResult Read(
        MimeMessage message, IEnumerable<UnlockedSecretKey> keys, Func<ulong, Certificate?> findCertificate)
    {
        ArgumentNullException.ThrowIfNull(findCertificate);
        // Every step completes synchronously with a synchronous finder.
        return ReadAsync(message, keys, (id, _, _) => ValueTask.FromResult(findCertificate(id)), CancellationToken.None)
            .AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// As <see cref="Read"/>, with a finder that may look a key up elsewhere. It is called at most once, and only
    /// when the message carries a signature over the whole message: unsigned mail causes no lookup at all.
    /// </summary>
    /// <param name="message">The message as received.</param>
    /// <param name="keys">The recipient's unlocked secret keys.</param>
    /// <param name="findSigner">
    /// Finds the certificate for the signing key ID, given the From the signature will be judged against
    /// (protected when present), or null.
    /// </param>
    /// <param name="cancellationToken">Cancels the signer lookup.</param>
    public async ValueTask<PgpMimeReadResult> ReadAsync(
        MimeMessage message,
        IEnumerable<UnlockedSecretKey> keys,
        Func<ulong, InternetAddressList, CancellationToken, ValueTask<Certificate?>> findSigner,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(findSigner);

        // The gateway's disclaimer shape (see PgpMimeDisclaimer): the encrypted part is read as if it were the
        // root, the disclaimer is kept apart and never joined with what is decrypted.
        var disclaimer = PgpMimeDisclaimer.Split(message.Body);
        if (EncryptedPayload(disclaimer?.Encrypted ?? message.Body) is not { } ciphertext)
        {
            var outerHeaders = ReadHeaders.Choose(message, null);
            var rootSigner = message.Body is MultipartSigned rootSigned ? DetachedKeyId(rootSigned) : null;
            var outerChecker = await CheckerAsync(rootSigner, outerHeaders.From, findSigner, cancellationToken);
            return NotEncrypted(message, outerChecker);
        }

        var payload = OpenPgpDecryptor.Decrypt(ciphertext, keys.ToList(), maxPlaintextBytes);
        var entity = Load(payload.Plaintext);
        var headers = ReadHeaders.Choose(message, entity);
        var signerKeyId = payload.Signature is { } inline ? unchecked((ulong)inline.KeyId)
            : entity is MultipartSigned innerSigned ? DetachedKeyId(innerSigned) : null;
        var checker = await CheckerAsync(signerKeyId, headers.From, findSigner, cancellationToken);
        var encryption = new PgpMimeEncryption(
            true,
            true,
            Hex(payload.DecryptedWithKeyId),
            payload.RecipientKeyIds.Select(Hex).ToList(),
            payload.Cipher,
            payload.WasCompressed);
        var signature = Signature(payload, entity, headers.From, checker);
        var warnings = StrayOpenPgpWarnings(entity);
        if (headers.Protected && !SameAddresses(headers.From, message.From))
        {
            warnings.Add("the protected From differs from the outer From; the protected one is shown and checked");
        }

        if (disclaimer is not null)
        {
            warnings.Add("the sending server added a disclaimer outside the encryption: it is neither encrypted nor signed");
        }

        return new PgpMimeReadResult(entity, headers, encryption, signature, MessageParts.Attachments(entity), warnings, disclaimer?.Text);
    }

    // The one key the signature names, resolved before judging, so the judging itself stays synchronous.
    private static async ValueTask<SignatureChecker> CheckerAsync(
        ulong? keyId,
        InternetAddressList from,
        Func<ulong, InternetAddressList, CancellationToken, ValueTask<Certificate?>> findSigner,
        CancellationToken cancellationToken)
    {
        if (keyId is not { } id)
        {
            return new SignatureChecker(_ => null);
        }

        var certificate = await findSigner(id, from, cancellationToken);
        return new SignatureChecker(k => k == id ? certificate : null);
    }

    private static ulong? DetachedKeyId(MultipartSigned signed) =>
        signed.Count == 2 && signed[1] is MimePart part && DetachedSignature(part) is { } signature
            ? unchecked((ulong)signature.KeyId)
            : null;

    // RFC 3156 §4: only a root multipart/encrypted with this protocol, a version part and one data part.
    private static byte[]? EncryptedPayload(MimeEntity? body)
    {
        if (body is not Multipart multipart
            || !multipart.ContentType.IsMimeType("multipart", "encrypted")
            || !string.Equals(multipart.ContentType.Parameters["protocol"], EncryptedProtocol, StringComparison.OrdinalIgnoreCase)
            || multipart.Count != 2
            || !multipart[0].ContentType.IsMimeType("application", "pgp-encrypted")
            || multipart[1] is not MimePart { Content: not null } data
            || !data.ContentType.IsMimeType("application", "octet-stream"))
        {
            return null;
        }

        using var output = new MemoryStream();
        data.Content.DecodeTo(output);
        return output.ToArray();
    }

    private static PgpMimeReadResult NotEncrypted(MimeMessage message, SignatureChecker checker)
    {
        var warnings = StrayOpenPgpWarnings(message.Body);
        var signature = message.Body is MultipartSigned signed
            ? RootSignature(signed, message.From, checker)
            : NestedOrUnsigned(message.Body);
        return new PgpMimeReadResult(
            message.Body,
            ReadHeaders.Choose(message, null),
            PgpMimeEncryption.None,
            signature,
            MessageParts.Attachments(message.Body),
            warnings);
    }

    /// <summary>MIME nesting below this depth is kept as an opaque part.</summary>
    public const int MaxMimeDepth = 64;

    private static MimeEntity Load(byte[] plaintext)
    {
        try
        {
            // Decrypted content is the sender's choice: nesting is bounded well below MimeKit's default of 1024,
            // since every walk over the tree costs a level of work (and some a level of stack).
            var options = ParserOptions.Default.Clone();
            options.MaxMimeDepth = MaxMimeDepth;
            return MimeEntity.Load(options, new MemoryStream(plaintext, writable: false));
        }
        catch (FormatException e)
        {
            throw new OpenPgpException(OpenPgpError.Malformed, "the decrypted message is not a MIME entity", e);
        }
    }

    private static PgpMimeSignature Signature(
        DecryptedPayload payload, MimeEntity entity, InternetAddressList from, SignatureChecker checker)
    {
        // RFC 3156 §6.2: a signature inside the encryption covers the literal data, i.e. the whole root entity.
        if (payload.Signature is { } signature)
        {
            var onePass = payload.OnePass;
            return checker.Check(
                signature.KeyId,
                signature,
                key =>
                {
                    if (onePass is null)
                    {
                        signature.InitVerify(key);
                        signature.Update(payload.Plaintext);
                        return signature.Verify();
                    }

                    // .NET's hash and libsodium's Ed25519 instead of BouncyCastle's managed ones (issue #14).
                    return DocumentSignatureVerifier.VerifyWhole(onePass, signature, key, payload.Plaintext);
                },
                from);
        }

        // RFC 3156 §6.1: sign first with multipart/signed at the root of the decrypted entity, whose raw bytes
        // are the plaintext itself.
        if (entity is MultipartSigned signed)
        {
            return DetachedSignatureOf(signed, payload.Plaintext, from, checker);
        }

        return NestedOrUnsigned(entity);
    }

    // RFC 3156 §5: a signed but unencrypted message, multipart/signed at the root. The covered bytes are cut from
    // the entity as it is written with CRLF line ends, which for a parsed message are the bytes that arrived.
    private static PgpMimeSignature RootSignature(MultipartSigned signed, InternetAddressList from, SignatureChecker checker)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var raw = new MemoryStream();
        signed.WriteTo(options, raw);
        return DetachedSignatureOf(signed, raw.ToArray(), from, checker);
    }

    // RFC 1847 §2.1: the signature covers the first part exactly as its bytes stand in <paramref name="raw"/>.
    private static PgpMimeSignature DetachedSignatureOf(MultipartSigned signed, byte[] raw, InternetAddressList from, SignatureChecker checker)
    {
        if (signed.Count != 2
            || !string.Equals(signed.ContentType.Parameters["protocol"], SignedProtocol, StringComparison.OrdinalIgnoreCase)
            || signed[1] is not MimePart signaturePart
            || signed.Boundary is not { } boundary
            || DetachedSignature(signaturePart) is not { } detached)
        {
            return new PgpMimeSignature(PgpMimeSignatureStatus.Bad, "a multipart/signed that is not RFC 3156 OpenPGP");
        }

        if (DetachedSignedPart.Extract(raw, boundary) is not { } covered)
        {
            return new PgpMimeSignature(PgpMimeSignatureStatus.Bad, "the signed part cannot be delimited");
        }

        return checker.Check(
            detached.KeyId,
            detached,
            key =>
            {
                detached.InitVerify(key);
                detached.Update(covered);
                return detached.Verify();
            },
            from);
    }

    private static PgpSignature? DetachedSignature(MimePart part)
    {
        if (part.Content is null)
        {
            return null;
        }

        try
        {
            using var decoded = new MemoryStream();
            part.Content.DecodeTo(decoded);
            decoded.Position = 0;
            var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(decoded));
            return factory.NextPgpObject() is PgpSignatureList { Count: 1 } list ? list[0] : null;
        }
        catch (Exception e) when (MalformedPackets.Is(e))
        {
            return null;
        }
    }

    private static PgpMimeSignature NestedOrUnsigned(MimeEntity? entity) =>
        MessageParts.HasNestedSignature(entity)
            ? new(
                PgpMimeSignatureStatus.NotCoveringMessage,
                "a signature covers only a part of the message, not the whole; it is not counted")
            : new(PgpMimeSignatureStatus.Unsigned, "the message is not signed");

    private static List<string> StrayOpenPgpWarnings(MimeEntity? root) =>
        MessageParts.Attachments(root)
            .Where(a => a.IsOpenPgpData)
            .Select(a => $"OpenPGP data in the part \"{a.DisplayFileName}\" was not decrypted: "
                + "only a whole message encrypted as PGP/MIME is decrypted")
            .ToList();

    private static bool SameAddresses(InternetAddressList a, InternetAddressList b) =>
        a.Mailboxes.Select(m => m.Address.ToLowerInvariant()).SequenceEqual(b.Mailboxes.Select(m => m.Address.ToLowerInvariant()));

    private static string Hex(ulong keyId) => keyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}
