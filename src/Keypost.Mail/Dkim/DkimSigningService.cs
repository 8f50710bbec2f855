using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Mail.Dkim;

/// <summary>
/// In charge of DKIM: the domain's keys, signing outbound mail and verifying inbound signatures.
/// Signs outbound mail with both of the domain's keys: ed25519-sha256 (RFC 8463) and rsa-sha256 (RFC 6376),
/// relaxed/relaxed, never <c>l=</c>.
/// </summary>
public sealed class DkimSigningService(DkimKeyStore keys)
{
    /// <summary>
    /// The header fields signed. From is listed twice (RFC 6376 §8.15 over-signing) so that a second From added in
    /// transit breaks the signature; the others are listed once, which also signs their absence.
    /// </summary>
    public static IReadOnlyList<string> SignedHeaders { get; } =
    [
        "From", "From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
        "Reply-To", "In-Reply-To", "References",
    ];

    /// <summary>Parses the raw message, signs it for <paramref name="domain"/> and returns the signed bytes (CRLF line ends).</summary>
    public async Task<byte[]> SignAsync(Stream message, string domain, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await message.CopyToAsync(buffer, cancellationToken);
        var raw = buffer.ToArray();
        var parsed = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken);
        var domainKeys = await keys.GetOrCreateAsync(domain, cancellationToken);
        Sign(parsed, domainKeys, reencode: !IsSevenBitClean(raw));
        using var output = new MemoryStream();
        await parsed.WriteToAsync(WireFormat(), output, cancellationToken);
        return output.ToArray();
    }

    /// <summary>
    /// Signs an already parsed message in place for <paramref name="domain"/>. <paramref name="sevenBitClean"/> says
    /// whether the raw message was 7-bit (see <see cref="IsSevenBitCleanAsync"/>); 8-bit content is re-encoded first.
    /// </summary>
    public async Task SignAsync(MimeMessage message, string domain, bool sevenBitClean, CancellationToken cancellationToken)
    {
        var domainKeys = await keys.GetOrCreateAsync(domain, cancellationToken);
        Sign(message, domainKeys, reencode: !sevenBitClean);
    }

    /// <summary>The 7-bit test of the signing path, over a stream read in chunks (the message is not held whole).</summary>
    public static async Task<bool> IsSevenBitCleanAsync(Stream raw, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        var lineLength = 0;
        int read;
        while ((read = await raw.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (!IsSevenBitClean(buffer.AsSpan(0, read), ref lineLength))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Signs an already parsed message in place with both keys.</summary>
    /// <param name="reencode">
    /// Re-encode to 7 bit first. Needed for 8-bit content: a transport that re-encodes it (MailKit does when the
    /// server lacks 8BITMIME) would change the body after signing and break bh=. Harmful for content that is
    /// already 7-bit: re-encoding would alter an RFC 3156 multipart/signed body the user's client signed.
    /// </param>
    public static void Sign(MimeMessage message, DkimDomainKeys domainKeys, bool reencode = true)
    {
        if (reencode)
        {
            message.Prepare(EncodingConstraint.SevenBit);
        }

        // RSA first, then Ed25519: each signature is prepended, so the Ed25519 one ends up on top (as in RFC 8463 §A.3).
        foreach (var key in new[] { domainKeys.Rsa, domainKeys.Ed25519 })
        {
            var signer = new DkimSigner(key.PrivateKey, key.Domain, key.Selector, key.Algorithm)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
            signer.Sign(WireFormat(), message, SignedHeaders.ToArray());
        }
    }

    // RFC 5322 §2.1.1 and RFC 2045 §2.7: 7-bit data, no NUL, lines of at most 998 octets.
    private static bool IsSevenBitClean(byte[] raw)
    {
        var lineLength = 0;
        return IsSevenBitClean(raw, ref lineLength);
    }

    private static bool IsSevenBitClean(ReadOnlySpan<byte> raw, ref int lineLength)
    {
        foreach (var b in raw)
        {
            if (b is 0 or >= 0x80)
            {
                return false;
            }

            lineLength = b == (byte)'\n' ? 0 : lineLength + 1;
            if (lineLength > 998)
            {
                return false;
            }
        }

        return true;
    }

    private static FormatOptions WireFormat()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }
}
