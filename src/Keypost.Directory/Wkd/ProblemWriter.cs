using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Keypost.Directory.Wkd;

/// <summary>Writes RFC 9457 problem details.</summary>
public static class ProblemWriter
{
    public static Task NotFoundAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", "No key is published at this address.");

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
