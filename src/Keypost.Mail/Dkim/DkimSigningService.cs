using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Mail.Dkim;

/// <summary>
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
        var parsed = await MimeMessage.LoadAsync(message, cancellationToken);
        var domainKeys = await keys.GetOrCreateAsync(domain, cancellationToken);
        Sign(parsed, domainKeys);
        using var output = new MemoryStream();
        await parsed.WriteToAsync(WireFormat(), output, cancellationToken);
        return output.ToArray();
    }

    /// <summary>Signs an already parsed message in place with both keys.</summary>
    public static void Sign(MimeMessage message, DkimDomainKeys domainKeys)
    {
        // Without this, a transport that re-encodes 8-bit parts (MailKit does when the server lacks 8BITMIME)
        // changes the body after signing and breaks bh=.
        message.Prepare(EncodingConstraint.SevenBit);

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

    private static FormatOptions WireFormat()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }
}
