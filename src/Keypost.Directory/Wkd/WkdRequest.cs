using Keypost.Core.Wkd;
using Microsoft.AspNetCore.Http;

namespace Keypost.Directory.Wkd;

/// <summary>What the WKD and the log endpoints (both served under /.well-known/openpgpkey) read from a request and write back.</summary>
internal static class WkdRequest
{
    /// <summary>
    /// The domain a request is for, lower-cased (draft-koch-openpgp-webkey-service §3.1). Advanced: Host is
    /// openpgpkey.D and the path names D. Direct: Host is D. A mismatch is no domain at all.
    /// </summary>
    public static string? RequestedDomain(HttpContext context, bool advanced) =>
        RequestedDomain(context, advanced, context.Request.RouteValues["domain"] as string);

    /// <param name="pathDomain">The domain segment of the path (advanced method), as the route would bind it.</param>
    public static string? RequestedDomain(HttpContext context, bool advanced, string? pathDomain)
    {
        var host = context.Request.Host.Host.TrimEnd('.');
        if (!advanced)
        {
            return host.ToLowerInvariant();
        }

        if (pathDomain is null
            || !host.StartsWith(WkdUrls.AdvancedHostPrefix, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(host[WkdUrls.AdvancedHostPrefix.Length..], pathDomain, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return pathDomain.ToLowerInvariant();
    }

    /// <summary>A whole body with its length; a HEAD request gets the headers only (RFC 9110 §9.3.2).</summary>
    public static async Task WriteBodyAsync(HttpContext context, string contentType, byte[] bytes)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }
}
