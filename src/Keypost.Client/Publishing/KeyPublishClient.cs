using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Wkd;

namespace Keypost.Client.Publishing;

/// <summary>
/// In charge of publishing the user's key to the domain's directory over HTTPS.
/// Publishes the user's own certificate (a new key, a successor, a renewal or a revocation) to their domain's
/// directory over HTTPS, authenticated with the account's mail password: the server at the domain's WKD host
/// (openpgpkey.DOMAIN), path /keypost/v1/publish. The server's refusal reason comes back as the exception message.
/// </summary>
public sealed class KeyPublishClient(HttpClient http)
{
    public const string PublishPath = "/keypost/v1/publish";

    public async Task PublishAsync(EmailAddress address, string password, Certificate certificate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(certificate);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{WkdUrls.AdvancedHostPrefix}{address.Domain}{PublishPath}")
        {
            Content = new ByteArrayContent(certificate.ToBinary()) { Headers = { ContentType = new MediaTypeHeaderValue("application/pgp-keys") } },
        };
        // RFC 7617: user-id ":" password, UTF-8, base64.
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(address.Canonical + ":" + password)));
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = await ProblemDetail.ReadAsync(response, cancellationToken);

        throw new KeyPublishException($"{address.Domain} refused the key ({(int)response.StatusCode}): {detail}");
    }
}
