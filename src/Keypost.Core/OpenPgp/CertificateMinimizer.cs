using Keypost.Core.Addresses;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// Reduces a certificate to what a directory publishes for one address: the primary key with its own revocations
/// and direct-key signatures, the user IDs carrying that address with only their newest self-certification and
/// self-revocations, and the bound subkeys. Third-party certifications, user attributes (photos) and other user
/// IDs are dropped; they are never verified, since <see cref="Certificate"/> only verifies self-signatures.
/// </summary>
public static class CertificateMinimizer
{
    public static Certificate Minimize(Certificate certificate, EmailAddress address) => Minimize(certificate, address, null);

    /// <summary>
    /// As <see cref="Minimize(Certificate, EmailAddress)"/>, keeping the one kind of third-party certification a
    /// sender needs: the transition signature by <paramref name="predecessor"/> (the key this one replaces), once
    /// verified (<see cref="KeyLifecycle.CertifySuccessor"/>).
    /// </summary>
    public static Certificate Minimize(Certificate certificate, EmailAddress address, Certificate? predecessor)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(address);
        var userIds = certificate.UserIds.Where(u => u.IsValid && u.Matches(address)).ToList();
        if (!userIds.Any(u => u.IsUsable))
        {
            throw new OpenPgpException(
                OpenPgpError.NoUserIdForAddress,
                $"the key {certificate.Fingerprint} has no valid user ID for {address}");
        }

        using var buffer = new MemoryStream();
        using (var output = new BcpgOutputStream(buffer))
        {
            // RFC 4880 §11.1: primary key, its signatures, user IDs with theirs, then subkeys with theirs.
            certificate.Primary.PublicKeyPacket.Encode(output);
            WriteAll(output, certificate.KeyRevocations.Concat(certificate.DirectKeySignatures));
            var transitions = predecessor is null ? [] : KeyLifecycle.TransitionSignatures(certificate, predecessor, address);
            foreach (var userId in userIds)
            {
                new UserIdPacket(userId.RawId).Encode(output);
                WriteAll(output, userId.Revocations.Prepend(userId.SelfSignature!));
                WriteAll(output, transitions.Where(t => ReferenceEquals(t.UserId, userId)).Select(t => t.Signature));
            }

            foreach (var subkey in certificate.Subkeys.Where(s => s.HasValidBinding))
            {
                subkey.Key.PublicKeyPacket.Encode(output);
                WriteAll(output, subkey.Revocations.Prepend(subkey.Binding!));
            }
        }

        return Certificate.Read(buffer.ToArray());
    }

    private static void WriteAll(BcpgOutputStream output, IEnumerable<PgpSignature> signatures)
    {
        foreach (var signature in signatures)
        {
            signature.Encode(output);
        }
    }
}
