using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Discovery;

/// <summary>What a WKD lookup found, where, and by which method.</summary>
public sealed record WkdLookupResult(EmailAddress Address, WkdMethod Method, Uri Url, Certificate? Certificate)
{
    public static WkdLookupResult Found(EmailAddress address, WkdMethod method, Uri url, Certificate certificate) =>
        new(address, method, url, certificate);

    public static WkdLookupResult NotFound(EmailAddress address, WkdMethod method, Uri url) => new(address, method, url, null);
}
