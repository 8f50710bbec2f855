using System.Text;
using Keypost.Core.Addresses;
using Keypost.Directory.Storage;
using Microsoft.AspNetCore.Http;

namespace Keypost.Directory.Accounts;

/// <summary>
/// The account's own HTTPS channels (publishing, devices): HTTP Basic (RFC 7617) with the account's address and
/// mail password. Unknown accounts cost as much as wrong passwords, so timing does not tell which addresses exist.
/// </summary>
public sealed class BasicAccountAuthenticator(DirectoryStore store, PasswordHashGate hashGate)
{
    /// <summary>RFC 7617 §2: the challenge names the scheme, realm and the charset of the credentials.</summary>
    public const string Challenge = "Basic realm=\"keypost\", charset=\"UTF-8\"";

    private readonly string _decoyHash = new PasswordHasher().Hash(Guid.NewGuid().ToString());

    /// <summary>The authenticated address, or null (no, malformed or wrong credentials).</summary>
    public async Task<EmailAddress?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !EmailAddress.TryParse(credentials[..colon], out var address, out _))
        {
            return null;
        }

        var hash = await store.GetPasswordHashAsync(address!, cancellationToken);
        var matches = await hashGate.VerifyAsync(credentials[(colon + 1)..], hash ?? _decoyHash, cancellationToken);
        return hash is not null && matches ? address : null;
    }
}
