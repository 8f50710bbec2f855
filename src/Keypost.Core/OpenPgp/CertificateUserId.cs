using Keypost.Core.Addresses;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>A user ID of a certificate with the result of checking its self-signatures.</summary>
public sealed class CertificateUserId
{
    internal CertificateUserId(
        byte[] rawId, string text, PgpSignature? selfSignature, IReadOnlyList<PgpSignature> revocations)
    {
        RawId = rawId;
        Text = text;
        SelfSignature = selfSignature;
        Revocations = revocations;
        Address = AddressIn(text);
    }

    /// <summary>The user ID as written, e.g. <c>Luke &lt;luke@jedi.test&gt;</c>.</summary>
    public string Text { get; }

    /// <summary>The address inside the user ID (<c>Name &lt;addr&gt;</c> or a bare address), if it parses.</summary>
    public EmailAddress? Address { get; }

    /// <summary>True when a self-certification by the primary key verifies.</summary>
    public bool IsValid => SelfSignature is not null;

    /// <summary>True when a verified self-revocation is newer than the newest valid self-certification.</summary>
    public bool IsRevoked => SelfSignature is not null && Revocations.Any(r => r.CreationTime >= SelfSignature.CreationTime);

    /// <summary>Valid and not revoked: the user ID can be relied upon.</summary>
    public bool IsUsable => IsValid && !IsRevoked;

    public DateTimeOffset? SelfSignedAt => SelfSignature is null ? null : new DateTimeOffset(SelfSignature.CreationTime, TimeSpan.Zero);

    /// <summary>The hash of the newest valid self-certification ("SHA-512"), or null when there is none.</summary>
    public string? SelfSignatureHash => SelfSignature is null ? null : SelfSignatures.HashName(SelfSignature.HashAlgorithm);

    internal byte[] RawId { get; }

    /// <summary>The newest self-certification that verifies.</summary>
    internal PgpSignature? SelfSignature { get; }

    /// <summary>Certification revocations (RFC 4880 §5.2.1, 0x30) by the primary key that verify.</summary>
    internal IReadOnlyList<PgpSignature> Revocations { get; }

    public bool Matches(EmailAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Address is not null && string.Equals(Address.Canonical, address.Canonical, StringComparison.Ordinal);
    }

    public override string ToString() => Text;

    private static EmailAddress? AddressIn(string text)
    {
        var trimmed = text.Trim();
        var open = trimmed.LastIndexOf('<');
        var candidate = open >= 0 && trimmed.EndsWith('>') ? trimmed[(open + 1)..^1] : trimmed;
        return EmailAddress.TryParse(candidate.Trim(), out var address, out _) ? address : null;
    }
}
