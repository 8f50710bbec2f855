using System.Text.Json;

namespace Keypost.Client.Publishing;

/// <summary>What a refusal from the directory's authenticated endpoints says, for one line of the CLI.</summary>
public static class ProblemDetail
{
    /// <summary>
    /// The <c>detail</c> of an RFC 9457 problem answer, or the start of the body when it is not one (a proxy's page,
    /// an older server).
    /// </summary>
    public static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? body;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }
}
