using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Discovery;

/// <summary>
/// What a WKD lookup found, where, and by which method; <see cref="Served"/> is the answer's bytes exactly as the
/// domain sent them (the transparency log commits to their SHA-256).
/// </summary>
public sealed record WkdLookupResult(EmailAddress Address, WkdMethod Method, Uri Url, Certificate? Certificate, byte[]? Served = null)
{
    public static WkdLookupResult Found(EmailAddress address, WkdMethod method, Uri url, Certificate certificate, byte[]? served = null) =>
        new(address, method, url, certificate, served);

    public static WkdLookupResult NotFound(EmailAddress address, WkdMethod method, Uri url) => new(address, method, url, null);
}
