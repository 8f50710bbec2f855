using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Keypost.Client.Publishing;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;

namespace Keypost.Client.Devices;

/// <summary>
/// In charge of a user's devices: asking to join, approving, listing and removing them.
/// The account's device endpoints (docs/lifecycle.md, "Several devices") at the domain's directory
/// (https://openpgpkey.DOMAIN/keypost/v1/devices), authenticated with the account's mail password (RFC 7617).
/// </summary>
public sealed class DeviceClient(HttpClient http, EmailAddress address, string password)
{
    public const string DevicesPath = "/keypost/v1/devices";

    /// <summary>Files this device's request with its transport certificate; returns the request's id.</summary>
    public async Task<DeviceInfo> RequestAsync(byte[] certificate, string name, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, "?name=" + Uri.EscapeDataString(name));
        request.Content = new ByteArrayContent(certificate) { Headers = { ContentType = new MediaTypeHeaderValue("application/pgp-keys") } };
        return Parse(await SendAsync(request, cancellationToken));
    }

    public async Task<IReadOnlyList<DeviceInfo>> ListAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "");
        using var document = JsonDocument.Parse(await SendAsync(request, cancellationToken));
        return document.RootElement.GetProperty("devices").EnumerateArray().Select(Parse).ToList();
    }

    public async Task<DeviceInfo> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "/" + Uri.EscapeDataString(id));
        return Parse(await SendAsync(request, cancellationToken));
    }

    public async Task<DeviceInfo> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Delete, "/" + Uri.EscapeDataString(id));
        return Parse(await SendAsync(request, cancellationToken));
    }

    public async Task<DeviceInfo> PutPackageAsync(string id, byte[] message, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Put, "/" + Uri.EscapeDataString(id) + "/package");
        request.Content = new ByteArrayContent(message) { Headers = { ContentType = new MediaTypeHeaderValue("application/pgp-encrypted") } };
        return Parse(await SendAsync(request, cancellationToken));
    }

    public async Task<DevicePackage> GetPackageAsync(string id, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "/" + Uri.EscapeDataString(id) + "/package");
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowOnErrorAsync(response, cancellationToken);
        var version = response.Headers.TryGetValues("Keypost-Package-Version", out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new DevicePackage(version, await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    private HttpRequestMessage Request(HttpMethod method, string tail)
    {
        var request = new HttpRequestMessage(method, $"https://{WkdUrls.AdvancedHostPrefix}{address.Domain}{DevicesPath}{tail}");
        // RFC 7617: user-id ":" password, UTF-8, base64.
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(address.Canonical + ":" + password)));
        return request;
    }

    private async Task<string> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowOnErrorAsync(response, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private async Task ThrowOnErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = await ProblemDetail.ReadAsync(response, cancellationToken);

        throw new DeviceException($"{address.Domain} ({(int)response.StatusCode}): {detail}") { Status = (int)response.StatusCode };
    }

    private static DeviceInfo Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement);
    }

    private static DeviceInfo Parse(JsonElement e) => new(
        e.GetProperty("id").GetString() ?? "",
        e.GetProperty("name").GetString() ?? "",
        e.GetProperty("fingerprint").GetString() ?? "",
        e.GetProperty("state").GetString() ?? "",
        e.GetProperty("packageVersion").GetInt32(),
        e.GetProperty("created").GetString() ?? "",
        e.TryGetProperty("certificate", out var c) && c.GetString() is { } text ? Convert.FromBase64String(text) : null);
}
