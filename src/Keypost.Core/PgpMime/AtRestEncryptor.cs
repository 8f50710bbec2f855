using System.Text;
using Keypost.Core.OpenPgp;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Core.PgpMime;

/// <summary>
/// Encryption at rest: turns a message that arrived in the clear into RFC 3156 PGP/MIME encrypted to its recipient,
/// with RFC 9788 protected headers as <see cref="PgpMimeComposer"/> writes them (the real Subject inside, "[...]"
/// outside), and the original message, byte for byte, as a message/rfc822 part inside (RFC 2046 §5.2.1), so its
/// DKIM signature can still be checked once decrypted. Streams: the original is read in chunks and never held whole.
/// </summary>
public sealed class AtRestEncryptor
{
    private const int ChunkSize = 1 << 16;

    private readonly TimeProvider time;
    private SecureRandom? random;

    public AtRestEncryptor(TimeProvider? time = null)
    {
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// The random source, made at the first message encrypted rather than with the encryptor: `keypost serve` builds
    /// one at start, and BouncyCastle's assembly is 3.6 MiB resident that an idle server need not map (idle memory,
    /// issue #14 item 5). For the same reason no BouncyCastle type appears in the constructor's signature: compiling a
    /// call to it would load the assembly.
    /// </summary>
    private SecureRandom Random => LazyInitializer.EnsureInitialized(ref random, () => new SecureRandom());

    /// <summary>
    /// Writes the stored form of <paramref name="original"/> to <paramref name="output"/>: the outer header section
    /// (the original's Received fields, RFC 9788's outer copies of the addressing fields, Subject "[...]") and the
    /// multipart/encrypted body. The caller writes its own trace fields (Return-Path, its Received and
    /// Authentication-Results) before. <paramref name="original"/> is read twice from its current position to its
    /// end (once to choose the part's transfer encoding), so it must be seekable.
    /// </summary>
    /// <param name="message">The original, parsed: its header fields are copied; its body is not read.</param>
    /// <exception cref="OpenPgpException">A certificate has no usable encryption key (NoEncryptionKey).</exception>
    public async Task WriteEncryptedAsync(
        MimeMessage message, Stream original, IReadOnlyCollection<Certificate> recipients, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(output);
        if (!original.CanSeek)
        {
            throw new ArgumentException("the original must be seekable", nameof(original));
        }

        if (recipients.Count == 0)
        {
            throw new ArgumentException("no recipients to encrypt to", nameof(recipients));
        }

        var now = time.GetUtcNow();
        var keys = PgpMimeComposer.EncryptionKeys(recipients, now);
        var start = original.Position;
        var transferEncoding = await OriginalTransferEncoding.DetectAsync(original, cancellationToken);
        original.Position = start;

        var outerBoundary = RandomBoundary();
        var body = new MultipartEncrypted { Boundary = outerBoundary };
        body.ContentType.Parameters["protocol"] = "application/pgp-encrypted";
        await OuterHeaders(message, body).WriteToAsync(Wire, output, cancellationToken);
        var boundary = Encoding.ASCII.GetBytes(outerBoundary);
        // RFC 3156 §4: the version part, then the data part holding the armored OpenPGP message.
        await output.WriteAsync(Ascii(
            $"\r\n--{outerBoundary}\r\n"
            + "Content-Type: application/pgp-encrypted\r\n"
            + "Content-Description: PGP/MIME version identification\r\n\r\n"
            + "Version: 1\r\n\r\n"
            + $"--{outerBoundary}\r\n"
            + "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
            + "Content-Description: OpenPGP encrypted message\r\n"
            + "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
            + "Content-Transfer-Encoding: 7bit\r\n\r\n"), cancellationToken);

        using var sink = new CrlfBuffer();
        var modified = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).UtcDateTime;
        // No "Version:" armor header: it only tells software details (RFC 9580 §6.2.2.1).
        using (var armored = ArmoredOutputStream.Build().ClearHeaders().Build(sink))
        {
            // RFC 4880 §5.13: SEIPD with MDC, AES-256 as everywhere in Keypost (OpenPgpProfile); no compression.
            var encryption = new PgpEncryptedDataGenerator(OpenPgpProfile.SecretKeyProtection, withIntegrityPacket: true, Random);
            foreach (var key in keys)
            {
                encryption.AddMethod(key);
            }

            using (var encrypted = encryption.Open(armored, new byte[ChunkSize]))
            using (var literal = new PgpLiteralDataGenerator().Open(encrypted, PgpLiteralData.Binary, "", modified, new byte[ChunkSize]))
            {
                var inner = RandomBoundary();
                literal.Write(InnerHead(message, inner, transferEncoding));
                await sink.DrainAsync(output, cancellationToken);

                var buffer = new byte[ChunkSize];
                int read;
                while ((read = await original.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    literal.Write(buffer, 0, read);
                    await sink.DrainAsync(output, cancellationToken);
                }

                // RFC 2046 §5.1.1: the CRLF before the closing delimiter belongs to it, so the part's content is
                // exactly the original.
                literal.Write(Ascii($"\r\n--{inner}--\r\n"));
            }
        }

        await sink.DrainAsync(output, cancellationToken);
        await output.WriteAsync(Ascii("\r\n--"), cancellationToken);
        await output.WriteAsync(boundary, cancellationToken);
        await output.WriteAsync(Ascii("--\r\n"), cancellationToken);
    }

    private static readonly FormatOptions Wire = new() { NewLineFormat = NewLineFormat.Dos };

    // RFC 9788 §4.1.1 (hcp_baseline, as PgpMimeComposer): the addressing fields are copied outside and only the
    // Subject is obscured; RFC 5321 §4.4: trace fields of earlier hops stay where every relay put them.
    private static HeaderList OuterHeaders(MimeMessage message, MultipartEncrypted body)
    {
        var outer = ProtectedHeaders.EmptyMessage();
        ProtectedHeaders.Copy(message.Headers, outer.Headers, [HeaderId.Received]);
        ProtectedHeaders.Copy(message.Headers, outer.Headers, ProtectedHeaders.Outer);
        outer.Headers.Add(HeaderId.Subject, ProtectedHeaders.ObscuredSubject);
        outer.Headers.Add(HeaderId.MimeVersion, "1.0");
        foreach (var header in body.Headers)
        {
            outer.Headers.Add(header.Clone());
        }

        return outer.Headers;
    }

    // RFC 9788 §2.1.1: the root of the encrypted part carries the protected header fields and hp="cipher" (and
    // protected-headers="v1" for Thunderbird and mutt, as PgpMimeComposer writes it); its one child is the original.
    private static byte[] InnerHead(MimeMessage message, string boundary, string transferEncoding)
    {
        var root = new Multipart("mixed") { Boundary = boundary };
        ProtectedHeaders.Copy(message.Headers, root.Headers, ProtectedHeaders.Protected);
        ProtectedHeaders.Declare(root);
        using var head = new MemoryStream();
        root.Headers.WriteTo(Wire, head);
        head.Write(Ascii(
            $"\r\n--{boundary}\r\n"
            + "Content-Type: message/rfc822\r\n"
            + "Content-Disposition: inline\r\n"
            + $"Content-Transfer-Encoding: {transferEncoding}\r\n\r\n"));
        return head.ToArray();
    }

    // RFC 2046 §5.1.1: a boundary must not occur in the content; 128 random bits make that as sure as it gets
    // without reading the original first.
    private string RandomBoundary()
    {
        var bytes = new byte[16];
        Random.NextBytes(bytes);
        return "=-keypost-" + Convert.ToHexStringLower(bytes);
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
