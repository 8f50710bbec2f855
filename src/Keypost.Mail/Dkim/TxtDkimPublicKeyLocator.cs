using Keypost.Mail.Authentication;
using Keypost.Mail.Dns;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Keypost.Mail.Dkim;

/// <summary>
/// Finds a DKIM public key through <see cref="IMailDnsResolver.GetTxtAsync"/> (RFC 6376 §3.6.2.2). Parsing of k= and p= is
/// MimeKit's: raw 32-byte keys for ed25519, SubjectPublicKeyInfo for rsa.
/// </summary>
public sealed class TxtDkimPublicKeyLocator(IMailDnsResolver dns) : DkimPublicKeyLocatorBase
{
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        var name = $"{selector}._domainkey.{domain}";
        var answer = await dns.GetTxtAsync(name, cancellationToken);
        switch (answer.Status)
        {
            case DnsStatus.TemporaryFailure:
                throw new DkimKeyLookupException($"DNS error looking up {name}", isTemporary: true);
            case DnsStatus.NoData or DnsStatus.NxDomain:
                // RFC 6376 §6.1.2: no key record is a PERMFAIL.
                throw new DkimKeyLookupException($"no key record at {name}", isTemporary: false);
        }

        // RFC 6376 §3.6.2.2: with several records a verifier may use any that parses; take the first that has a key.
        foreach (var record in answer.Records)
        {
            var tags = TagValueList.Parse(record);
            if (tags is null || (tags.TryGetValue("v", out var v) && v != "DKIM1") || !tags.TryGetValue("p", out var p))
            {
                continue;
            }

            if (p.Length == 0)
            {
                // RFC 6376 §3.6.1: an empty p= means the key was revoked.
                throw new DkimKeyLookupException($"key at {name} is revoked", isTemporary: false);
            }

            try
            {
                return GetPublicKey(record);
            }
            catch (Exception ex) when (ex is FormatException or MimeKit.ParseException or ArgumentException or IOException)
            {
                throw new DkimKeyLookupException($"malformed key record at {name}: {ex.Message}", isTemporary: false);
            }
        }

        throw new DkimKeyLookupException($"no usable key record at {name}", isTemporary: false);
    }
}
