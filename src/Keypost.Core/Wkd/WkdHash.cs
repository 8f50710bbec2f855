using System.Security.Cryptography;
using System.Text;
using Keypost.Core.Addresses;

namespace Keypost.Core.Wkd;

/// <summary>The hashed local part that names a key in a Web Key Directory.</summary>
public static class WkdHash
{
    /// <summary>Length of an encoded hash: 160 bits in 5-bit groups.</summary>
    public const int Length = 32;

    /// <summary>
    /// draft-koch-openpgp-webkey-service §3.1: map only ASCII A-Z to lower case (no Unicode case folding),
    /// SHA-1 the UTF-8 bytes, encode with z-base-32.
    /// </summary>
    public static string Compute(string localPart)
    {
        var mapped = EmailAddress.AsciiLower(localPart);
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.UTF8.GetBytes(mapped), digest);
        return ZBase32.Encode(digest);
    }

    public static string Compute(EmailAddress address) => Compute(address.LocalPart);
}
