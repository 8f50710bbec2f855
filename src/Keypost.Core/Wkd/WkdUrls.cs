using Keypost.Core.Addresses;

namespace Keypost.Core.Wkd;

/// <summary>
/// In charge of WKD naming: the z-base-32 hash of a local part and the advanced and direct URLs. The two places draft-koch-openpgp-webkey-service §3.1 looks for a key.
/// </summary>
public static class WkdUrls
{
    /// <summary>The subdomain that selects the advanced method.</summary>
    public const string AdvancedHostPrefix = "openpgpkey.";

    /// <summary>Advanced method: https://openpgpkey.DOMAIN/.well-known/openpgpkey/DOMAIN/hu/HASH?l=LOCAL.</summary>
    public static Uri Advanced(EmailAddress address) =>
        new($"https://{AdvancedHostPrefix}{address.Domain}/.well-known/openpgpkey/{address.Domain}/hu/{WkdHash.Compute(address)}?l={LocalParameter(address)}");

    /// <summary>Direct method: https://DOMAIN/.well-known/openpgpkey/hu/HASH?l=LOCAL.</summary>
    public static Uri Direct(EmailAddress address) =>
        new($"https://{address.Domain}/.well-known/openpgpkey/hu/{WkdHash.Compute(address)}?l={LocalParameter(address)}");

    /// <summary>The policy file of the advanced method (§4.5).</summary>
    public static Uri AdvancedPolicy(string domain) =>
        new($"https://{AdvancedHostPrefix}{domain}/.well-known/openpgpkey/{domain}/policy");

    // The draft passes the unchanged local part so a server can tell colliding hashes apart; RFC 3986 §2.1
    // percent-encoding keeps it a valid URI (GnuPG prints it raw and lower-cased).
    private static string LocalParameter(EmailAddress address) => Uri.EscapeDataString(address.LocalPart);
}
