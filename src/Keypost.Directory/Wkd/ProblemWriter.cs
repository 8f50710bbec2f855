using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Keypost.Directory.Wkd;

/// <summary>Writes RFC 9457 problem details.</summary>
public static class ProblemWriter
{
    public static Task NotFoundAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", "No key is published at this address.");

    /// <summary>RFC 6585 §4: 429, and Retry-After (RFC 9110 §10.2.3) says when the client's budget has a token again.</summary>
    public static Task TooManyRequestsAsync(HttpContext context, RateLimitLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too Many Requests", "Too many lookups from this address; retry later.");
    }

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        // RFC 9457 §3: type defaults to about:blank; the title is that of the status code or a short summary.
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = "about:blank",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        });
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
    }
}
