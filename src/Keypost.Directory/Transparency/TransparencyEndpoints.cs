using System.Globalization;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;
using Keypost.Directory.Storage;
using Keypost.Directory.Wkd;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Tiles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Keypost.Directory.Transparency;

/// <summary>
/// Serves each domain's log beside its WKD, by the advanced method (Host openpgpkey.D, path names D) and the direct
/// method (Host D): log/checkpoint, log/vkey, and log/tile/... as C2SP tlog-tiles, and log/lookup/HASH[?l=LOCAL][&amp;from=SIZE]
/// with the binary lookup proof of docs/transparency.md, and log/history/HASH[?l=LOCAL][&amp;since=VERSION] with the
/// history answer a monitor hashes forward. Errors are RFC 9457 problem details.
/// </summary>
public sealed class TransparencyEndpoints(DirectoryStore store, DirectoryTransparency transparency)
{
    private const string Prefix = "/.well-known/openpgpkey";
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head];

    public void Map(IEndpointRouteBuilder routes)
    {
        foreach (var (domainSegment, advanced) in new[] { ("/{domain}", true), ("", false) })
        {
            var log = Prefix + domainSegment + "/log";
            Route(routes, log + "/checkpoint", advanced, CheckpointAsync, rateLimited: false);
            Route(routes, log + "/vkey", advanced, VerifierKeyAsync, rateLimited: false);
            Route(routes, log + "/tile/{**path}", advanced, TileAsync, rateLimited: false);
            // A lookup answers as much as a WKD request does, so it shares WKD's per-client limit.
            Route(routes, log + "/lookup/{hash}", advanced, LookupAsync, rateLimited: true);
            Route(routes, log + "/history/{hash}", advanced, HistoryAsync, rateLimited: true);
        }
    }

    private void Route(IEndpointRouteBuilder routes, string pattern, bool advanced, Func<HttpContext, string, KeyTransparencyLog, Task> handler, bool rateLimited)
    {
        var endpoint = routes.MapMethods(pattern, Methods, (HttpContext context) =>
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            var domain = ResolveDomain(context, advanced);
            var log = domain is null ? null : transparency.Log(domain);
            if (domain is null || log is null)
            {
                return ProblemWriter.WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", "No transparency log is published here.");
            }

            return log.Checkpoint is null
                ? ProblemWriter.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "No checkpoint yet", "The log has no epoch yet; retry in a few seconds.")
                : handler(context, domain, log);
        });
        if (rateLimited)
        {
            endpoint.RequireRateLimiting(WkdEndpoints.RateLimitPolicy);
        }
    }

    private static Task CheckpointAsync(HttpContext context, string domain, KeyTransparencyLog log)
    {
        // C2SP tlog-tiles: the checkpoint is mutable; do not cache it beyond a few seconds.
        context.Response.Headers.CacheControl = "no-cache";
        return WriteAsync(context, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(log.Checkpoint!));
    }

    /// <summary>The log's verifier key, for clients to pin on first contact (as they pin a contact's key).</summary>
    private static Task VerifierKeyAsync(HttpContext context, string domain, KeyTransparencyLog log) =>
        WriteAsync(context, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(log.VerifierKey + "\n"));

    private static Task TileAsync(HttpContext context, string domain, KeyTransparencyLog log)
    {
        var path = context.Request.RouteValues["path"] as string ?? "";
        var address = TileAddress.TryParse(path);
        if (address is null)
        {
            return ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed tile path",
                "Tile paths are tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>] (C2SP tlog-tiles).");
        }

        var bytes = log.ReadTile(address);
        if (bytes is null)
        {
            return ProblemWriter.WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", "The log's current tree has no such tile.");
        }

        // C2SP tlog-tiles: tiles (full, or partial of a given width) never change.
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return WriteAsync(context, "application/octet-stream", bytes);
    }

    private async Task LookupAsync(HttpContext context, string domain, KeyTransparencyLog log)
    {
        long from = 0;
        var fromText = context.Request.Query["from"].ToString();
        if (fromText.Length > 0 && !long.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed size", "from must be a tree size in decimal.");
            return;
        }

        if (await ResolveAddressAsync(context, domain) is not { } address)
        {
            return;
        }

        var proof = log.Prove(address, from);
        context.Response.Headers.CacheControl = "no-store";
        await WriteAsync(context, LookupProofCodec.MediaType, proof!);
    }

    /// <summary>
    /// The records of the address's versions above <c>since</c> (default 0), at most
    /// <see cref="HistoryAnswerCodec.MaxRecords"/>: what a monitor hashes forward to the chain the newest binding
    /// commits to. Asked like a lookup (WKD hash and l=), so it reveals what a lookup and WKD already do, plus the
    /// fingerprints of the address's earlier keys.
    /// </summary>
    private async Task HistoryAsync(HttpContext context, string domain, KeyTransparencyLog log)
    {
        long since = 0;
        var sinceText = context.Request.Query["since"].ToString();
        if (sinceText.Length > 0 && !long.TryParse(sinceText, NumberStyles.None, CultureInfo.InvariantCulture, out since))
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed version", "since must be a binding version in decimal.");
            return;
        }

        if (!log.History)
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status404NotFound, "No history chains",
                "This log was made before history chains; its monitors check the newest binding and its version counter.");
            return;
        }

        if (await ResolveAddressAsync(context, domain) is not { } address)
        {
            return;
        }

        var records = await transparency.HistoryAsync(domain, address, since, context.RequestAborted) ?? [];
        context.Response.Headers.CacheControl = "no-store";
        await WriteAsync(context, HistoryAnswerCodec.MediaType, HistoryAnswerCodec.Encode(records));
    }

    /// <summary>The address a lookup or history request names (WKD hash, and l= when sent); null after writing the problem.</summary>
    private async Task<string?> ResolveAddressAsync(HttpContext context, string domain)
    {
        var hash = context.Request.RouteValues["hash"] as string ?? "";
        if (!ZBase32.IsWkdHash(hash))
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed WKD hash",
                "The last path segment must be 32 z-base-32 characters (draft-koch-openpgp-webkey-service §3.1).");
            return null;
        }

        string address;
        var local = context.Request.Query["l"].ToString();
        if (local.Length > 0)
        {
            // The WKD advanced method already sends ?l=; with it the log can prove an address absent.
            if (!EmailAddress.TryParse(local + "@" + domain, out var parsed, out _) || WkdHash.Compute(parsed!) != hash)
            {
                await ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Hash and local part differ",
                    "The l parameter does not hash to the WKD hash in the path.");
                return null;
            }

            address = parsed!.Canonical;
        }
        else
        {
            var addresses = await store.FindAddressesForWkdAsync(domain, hash, context.RequestAborted);
            if (addresses.Count == 0)
            {
                await ProblemWriter.WriteAsync(context, StatusCodes.Status404NotFound, "Unknown hash",
                    "No key is published under this hash; send ?l=<local part> for a proof of absence.");
                return null;
            }

            address = addresses[0];
        }

        return address;
    }

    private static Task WriteAsync(HttpContext context, string contentType, byte[] bytes) =>
        WkdRequest.WriteBodyAsync(context, contentType, bytes);

    /// <summary>As WkdEndpoints: advanced when Host is openpgpkey.D and the path names D; direct when Host is D.</summary>
    private string? ResolveDomain(HttpContext context, bool advanced) =>
        WkdRequest.RequestedDomain(context, advanced) is { } domain && transparency.Hosts(domain) ? domain : null;
}
