using System.Globalization;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Text;
using MimeKit;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.PgpMime;

/// <summary>
/// Decides what a signature over the whole message is worth: it must verify with a bound, unrevoked key of a
/// certificate that carries the From address. Stock MimeKit stops after the first step; the rest is ours.
/// </summary>
internal sealed class SignatureChecker
{
    private readonly Func<ulong, Certificate?> findCertificate;

    public SignatureChecker(Func<ulong, Certificate?> findCertificate)
    {
        this.findCertificate = findCertificate;
    }

    /// <param name="keyId">The key the signature names.</param>
    /// <param name="signature">The signature packet, for its type and hash.</param>
    /// <param name="verify">Hashes the signed data with the key and checks the signature.</param>
    /// <param name="from">
    /// The message's From (protected, else outer); null for data that names no sender (a file), where the caller
    /// judges the signer by its fingerprint.
    /// </param>
    public PgpMimeSignature Check(long keyId, PgpSignature signature, Func<PgpPublicKey, bool> verify, InternetAddressList? from)
    {
        var keyIdHex = unchecked((ulong)keyId).ToString("X16", CultureInfo.InvariantCulture);
        var certificate = findCertificate(unchecked((ulong)keyId));
        var key = certificate?.ToBouncyCastle().GetPublicKey(keyId);
        if (certificate is null || key is null)
        {
            return new(PgpMimeSignatureStatus.UnknownSigner, $"no certificate is known for the signing key {keyIdHex}", SignerKeyId: keyIdHex);
        }

        var userIds = certificate.UserIds.Where(u => u.IsUsable).Select(u => DisplayText.Escape(u.Text, 200)).ToList();
        PgpMimeSignature Verdict(PgpMimeSignatureStatus status, string reason, string? address = null) =>
            new(status, reason, certificate.Fingerprint, keyIdHex, address, userIds);

        if (KeyProblem(certificate, key, signature) is { } problem)
        {
            return Verdict(PgpMimeSignatureStatus.Bad, problem);
        }

        bool verified;
        try
        {
            verified = verify(key);
        }
        catch (PgpException e)
        {
            return Verdict(PgpMimeSignatureStatus.Bad, "the signature cannot be checked: " + OneLine(e.Message));
        }

        if (!verified)
        {
            return Verdict(PgpMimeSignatureStatus.Bad, "the signature does not verify: the message was changed after signing");
        }

        if (from is null)
        {
            return Verdict(PgpMimeSignatureStatus.Valid, $"good signature by the key {certificate.Fingerprint}");
        }

        var senders = from.Mailboxes.ToList();
        if (senders.Count != 1 || !EmailAddress.TryParse(senders[0].Address, out var sender, out _) || sender is null)
        {
            return Verdict(PgpMimeSignatureStatus.SignerIsNotSender, "the message has no single From address to match the signer against");
        }

        if (!certificate.HasUserIdFor(sender))
        {
            return Verdict(
                PgpMimeSignatureStatus.SignerIsNotSender,
                $"signer is not the sender: the signing certificate has no user ID for {DisplayText.Escape(sender.ToString())}",
                sender.Canonical);
        }

        return Verdict(PgpMimeSignatureStatus.Valid, $"good signature by {DisplayText.Escape(sender.ToString())}", sender.Canonical);
    }

    private static string? KeyProblem(Certificate certificate, PgpPublicKey key, PgpSignature signature)
    {
        if (certificate.IsRevoked)
        {
            return "the signer's certificate is revoked";
        }

        if (!key.IsMasterKey)
        {
            var subkey = certificate.Subkeys.FirstOrDefault(s => s.KeyId == unchecked((ulong)key.KeyId));
            if (subkey is null || !subkey.HasValidBinding || subkey.IsRevoked)
            {
                return "the signing subkey is not validly bound to the certificate, or is revoked";
            }
        }

        // RFC 3156 §5 signs documents; RFC 9580 §9.5: MD5, SHA-1 and RIPEMD-160 are not to be trusted.
        if (signature.SignatureType is not PgpSignature.BinaryDocument and not PgpSignature.CanonicalTextDocument)
        {
            return $"the signature has type 0x{signature.SignatureType:x2}, not a document signature";
        }

        return signature.HashAlgorithm is HashAlgorithmTag.MD5 or HashAlgorithmTag.Sha1 or HashAlgorithmTag.RipeMD160
            ? $"the signature uses the weak hash {signature.HashAlgorithm}"
            : null;
    }

    private static string OneLine(string text) => DisplayText.Escape(text, 200);
}
