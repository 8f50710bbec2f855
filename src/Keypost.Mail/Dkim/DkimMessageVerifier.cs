using Keypost.Mail.Authentication;
using Keypost.Mail.Dns;
using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Mail.Dkim;

/// <summary>Verifies every DKIM-Signature of a message (RFC 6376 §6) with MimeKit's verifier.</summary>
public sealed class DkimMessageVerifier
{
    /// <summary>More signatures than this are not checked: each costs a DNS query and a signature check.</summary>
    public const int MaxSignatures = 8;

    private readonly IMailDnsResolver dns;
    private DkimVerifier? verifier;

    public DkimMessageVerifier(IMailDnsResolver dns)
    {
        this.dns = dns;
    }

    /// <summary>
    /// MimeKit's verifier, made at the first signature checked rather than with the server: its key locator's type
    /// names BouncyCastle key types, so building it at start mapped BouncyCastle's assembly (3.6 MiB resident) into
    /// every idle server (idle memory, issue #14 item 5). Two messages racing at the first use may each make one.
    /// </summary>
    private DkimVerifier Verifier => LazyInitializer.EnsureInitialized(ref verifier, () => new DkimVerifier(new TxtDkimPublicKeyLocator(dns)));

    /// <summary>One result per signature (empty when the message has none: report dkim=none).</summary>
    public async Task<IReadOnlyList<DkimSignatureResult>> VerifyAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var results = new List<DkimSignatureResult>();
        foreach (var header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Take(MaxSignatures))
        {
            results.Add(await VerifyOneAsync(message, header, cancellationToken));
        }

        return results;
    }

    private async Task<DkimSignatureResult> VerifyOneAsync(MimeMessage message, Header header, CancellationToken cancellationToken)
    {
        var tags = TagValueList.Parse(header.Value);
        string? Tag(string name) => tags is not null && tags.TryGetValue(name, out var value) ? value : null;
        var domain = Tag("d")?.ToLowerInvariant();
        var selector = Tag("s");
        var algorithm = Tag("a");
        var b = Tag("b")?.Replace(" ", "", StringComparison.Ordinal).Replace("\t", "", StringComparison.Ordinal)
            .Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        var prefix = b is null ? null : b[..Math.Min(8, b.Length)];
        DkimSignatureResult Result(DkimResult result, string? reason = null) => new(result, domain, selector, algorithm, prefix, reason);

        if (tags is null || domain is null || selector is null)
        {
            // RFC 6376 §6.1.1: a signature missing required tags is PERMFAIL.
            return Result(DkimResult.PermError, "malformed signature");
        }

        try
        {
            var ok = await Verifier.VerifyAsync(message, header, cancellationToken);
            return ok ? Result(DkimResult.Pass) : Result(DkimResult.Fail, "signature or body hash mismatch");
        }
        catch (DkimKeyLookupException ex)
        {
            return Result(ex.IsTemporary ? DkimResult.TempError : DkimResult.PermError, ex.Message);
        }
        catch (Exception ex) when (ex is FormatException or ParseException or NotSupportedException or ArgumentException)
        {
            return Result(DkimResult.PermError, ex.Message);
        }
    }
}
