using Keypost.Core.Addresses;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// What Keypost accepts for an address: a live certificate with a valid user ID for it, an encryption subkey, and
/// no weak material (RSA below <see cref="MinimumRsaBits"/>, DSA, ElGamal, MD5/SHA-1 self-signatures).
/// </summary>
public sealed class CertificatePolicy
{
    public int MinimumRsaBits { get; init; } = 2048;

    /// <summary>A directory for encrypted mail has no use for a key nobody can encrypt to.</summary>
    public bool RequireEncryptionSubkey { get; init; } = true;

    public IReadOnlyList<CertificateProblem> Validate(Certificate certificate, EmailAddress address, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(address);
        var problems = new List<CertificateProblem>();
        if (certificate.IsRevoked)
        {
            problems.Add(new(OpenPgpError.Revoked, $"the key {certificate.Fingerprint} is revoked"));
        }

        if (certificate.IsExpired(now))
        {
            problems.Add(new(OpenPgpError.Expired, $"the key {certificate.Fingerprint} expired on {certificate.ExpiresAt:yyyy-MM-dd}"));
        }

        CheckKey(certificate.Primary, "the primary key", problems);
        foreach (var signature in certificate.DirectKeySignatures.Take(1))
        {
            CheckHash(signature, "the direct-key self-signature", problems);
        }

        var userIds = certificate.UserIdsFor(address);
        if (userIds.Count == 0)
        {
            problems.Add(new(OpenPgpError.NoUserIdForAddress, $"the key has no valid user ID for {address}"));
        }

        foreach (var userId in userIds)
        {
            CheckHash(userId.SelfSignature!, $"the self-signature on the user ID '{Text.DisplayText.Escape(userId.Text, 80)}'", problems);
        }

        foreach (var subkey in certificate.Subkeys.Where(s => s.HasValidBinding && !s.IsRevoked && !s.IsExpired(now)))
        {
            CheckKey(subkey.Key, $"the subkey {subkey.Fingerprint}", problems);
            CheckHash(subkey.Binding!, $"the binding signature of the subkey {subkey.Fingerprint}", problems);
        }

        if (RequireEncryptionSubkey && certificate.EncryptionSubkeys(now).Count == 0)
        {
            problems.Add(new(OpenPgpError.NoEncryptionKey, "the key has no valid encryption subkey"));
        }

        return problems;
    }

    /// <summary>Throws an <see cref="OpenPgpException"/> carrying the first problem, if any.</summary>
    public void EnsureAcceptable(Certificate certificate, EmailAddress address, DateTimeOffset now)
    {
        var problems = Validate(certificate, address, now);
        if (problems.Count > 0)
        {
            throw new OpenPgpException(problems[0].Error, string.Join("; ", problems.Select(p => p.Message)));
        }
    }

    private void CheckKey(PgpPublicKey key, string what, List<CertificateProblem> problems)
    {
        var name = KeyDescription.Display(key);
        switch (KeyDescription.Algorithm(key))
        {
            case KeyAlgorithm.Rsa or KeyAlgorithm.RsaEncryptOnly or KeyAlgorithm.RsaSignOnly
                when key.BitStrength < MinimumRsaBits:
                problems.Add(new(OpenPgpError.WeakMaterial, $"{name} is too weak: at least {MinimumRsaBits} bits ({what})"));
                break;

            // RFC 9580 §9.1 deprecates DSA and ElGamal: both are refused regardless of size.
            case KeyAlgorithm.Dsa:
                problems.Add(new(OpenPgpError.WeakMaterial, $"{name} is refused: DSA is deprecated (RFC 9580 §9.1); use Ed25519 or RSA ({what})"));
                break;
            case KeyAlgorithm.ElGamal or KeyAlgorithm.ElGamalGeneral:
                problems.Add(new(OpenPgpError.WeakMaterial, $"{name} is refused: ElGamal is deprecated (RFC 9580 §9.1); use Curve25519 or RSA ({what})"));
                break;
            case KeyAlgorithm.Unknown:
                problems.Add(new(OpenPgpError.WeakMaterial, $"{name} is an unknown algorithm ({what})"));
                break;
        }
    }

    private static void CheckHash(PgpSignature signature, string what, List<CertificateProblem> problems)
    {
        if (SelfSignatures.IsWeakHash(signature.HashAlgorithm))
        {
            var hash = SelfSignatures.HashName(signature.HashAlgorithm);
            problems.Add(new(OpenPgpError.WeakMaterial, $"{hash} is too weak for {what}: SHA-256 or better is needed"));
        }
    }
}
