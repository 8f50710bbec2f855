using System.Diagnostics;
using System.Threading.RateLimiting;
using Keypost.Core.Wkd;
using Keypost.Directory.Diagnostics;
using Keypost.Directory.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Directory.Wkd;

/// <summary>
/// In charge of the WKD HTTP endpoints: keys and policy for each served domain.
/// Serves the Web Key Directory (draft-koch-openpgp-webkey-service §3.1) for every hosted domain, by both
/// the advanced method (Host openpgpkey.DOMAIN, path names the domain) and the direct method (Host DOMAIN).
/// Every miss, whatever its cause, gets the same 404 so the answers tell a harvester nothing.
/// </summary>
public sealed class WkdEndpoints
{
    public const string RateLimitPolicy = "wkd";
    private const string Prefix = "/.well-known/openpgpkey";
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head];

    private readonly WkdCertificateCache _cache;
    private static readonly EventId LookupEvent = new(4001, "WkdLookup");

    private readonly Dictionary<string, WkdDomainSettings> _domains;
    private readonly ILogger _logger;
    private readonly DirectoryMetrics? _metrics;
    private readonly PartitionedRateLimiter<HttpContext>? _limiter;

    /// <param name="cache">What lookups are served from; null asks the database for every lookup.</param>
    /// <param name="limiter">
    /// The per-client budget <see cref="ServeKeysAsync"/> charges, the same one the server applies to every endpoint
    /// of the <see cref="RateLimitPolicy"/> policy; null when no limit is set.
    /// </param>
    public WkdEndpoints(
        DirectoryStore store,
        IEnumerable<WkdDomainSettings> domains,
        ILogger? logger = null,
        DirectoryMetrics? metrics = null,
        WkdCertificateCache? cache = null,
        PartitionedRateLimiter<HttpContext>? limiter = null)
    {
        _cache = cache ?? new WkdCertificateCache(store, TimeSpan.Zero, TimeProvider.System);
        _domains = domains.ToDictionary(d => d.Domain, StringComparer.OrdinalIgnoreCase);
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
        _limiter = limiter;
    }

    public void Map(IEndpointRouteBuilder routes)
    {
        Route(routes, Prefix + "/{domain}/hu/{hash}", (c, ct) => KeyAsync(c, advanced: true, c.Request.RouteValues["domain"] as string, c.Request.RouteValues["hash"] as string, ct));
        Route(routes, Prefix + "/hu/{hash}", (c, ct) => KeyAsync(c, advanced: false, null, c.Request.RouteValues["hash"] as string, ct));
        Route(routes, Prefix + "/{domain}/policy", (c, _) => PolicyAsync(c, advanced: true));
        Route(routes, Prefix + "/policy", (c, _) => PolicyAsync(c, advanced: false));
        Route(routes, Prefix + "/{domain}/submission-address", (c, _) => SubmissionAddressAsync(c, advanced: true));
        Route(routes, Prefix + "/submission-address", (c, _) => SubmissionAddressAsync(c, advanced: false));
    }

    /// <summary>
    /// Middleware for the WKD prefix, run before the endpoints: a path that is not in its one canonical form is no
    /// address at all (404), and a method other than GET and HEAD on a WKD path gets 405 with Allow (RFC 9110
    /// §15.5.6), not the catch-all 404.
    /// </summary>
    public static Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        // Kestrel removes dot segments before routing and routing ignores a trailing slash, so the target as
        // the client sent it is what must be checked (RFC 3986 §6.2.2.3: /./ names the same resource only after
        // normalisation, which a key directory need not do).
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var target = query < 0 ? raw : raw[..query];
        var path = context.Request.Path.Value ?? "";
        var isWkd = path.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            || target.Contains(Prefix, StringComparison.OrdinalIgnoreCase);
        if (!isWkd)
        {
            return next(context);
        }

        if (!IsCanonical(target) || !IsCanonical(path))
        {
            return ProblemWriter.NotFoundAsync(context);
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return ProblemWriter.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "Method Not Allowed",
                "The Web Key Directory is read with GET or HEAD only.");
        }

        return next(context);
    }

    /// <summary>
    /// Terminal middleware for key lookups, run after <see cref="GuardAsync"/> and before routing: the one request a
    /// key directory gets thousands of a second skips endpoint matching and the endpoint middleware, and answers as
    /// the mapped key routes do (same statuses, bodies, CORS header, metric, log line and rate limit), which stay
    /// mapped for a pipeline that does not use this.
    /// </summary>
    public Task ServeKeysAsync(HttpContext context, RequestDelegate next)
    {
        if (!TryParseKeyPath(context.Request.Path.Value, out var pathDomain, out var hash)
            || (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)))
        {
            return next(context);
        }

        return _limiter is null
            ? ServeKeyAsync(context, pathDomain, hash)
            : LimitedKeyAsync(context, _limiter, pathDomain, hash);
    }

    /// <summary>
    /// The two key paths as the route templates match them: the literals compare without case, each parameter is
    /// one non-empty segment. Advanced: prefix/{domain}/hu/{hash}; direct: prefix/hu/{hash} (null domain).
    /// </summary>
    internal static bool TryParseKeyPath(string? path, out string? domain, out string hash)
    {
        domain = null;
        hash = "";
        if (path is null
            || path.Length <= Prefix.Length + 1
            || path[Prefix.Length] != '/'
            || !path.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = path.AsSpan(Prefix.Length + 1);
        var first = rest.IndexOf('/');
        if (first <= 0)
        {
            return false;
        }

        var second = rest[(first + 1)..].IndexOf('/');
        if (second < 0)
        {
            // Two segments: hu/{hash}.
            if (!rest[..first].Equals("hu", StringComparison.OrdinalIgnoreCase) || first + 1 == rest.Length)
            {
                return false;
            }

            hash = rest[(first + 1)..].ToString();
            return true;
        }

        // Three segments: {domain}/hu/{hash}, and nothing after.
        var middle = rest.Slice(first + 1, second);
        var last = rest[(first + 1 + second + 1)..];
        if (!middle.Equals("hu", StringComparison.OrdinalIgnoreCase) || last.IsEmpty || last.Contains('/'))
        {
            return false;
        }

        domain = rest[..first].ToString();
        hash = last.ToString();
        return true;
    }

    private async Task LimitedKeyAsync(HttpContext context, PartitionedRateLimiter<HttpContext> limiter, string? pathDomain, string hash)
    {
        using var lease = limiter.AttemptAcquire(context);
        if (!lease.IsAcquired)
        {
            await ProblemWriter.TooManyRequestsAsync(context, lease);
            return;
        }

        await ServeKeyAsync(context, pathDomain, hash);
    }

    private Task ServeKeyAsync(HttpContext context, string? pathDomain, string hash)
    {
        // §3.1: keys may be fetched by scripts in browsers.
        context.Response.Headers.AccessControlAllowOrigin = "*";
        return KeyAsync(context, advanced: pathDomain is not null, pathDomain, hash, context.RequestAborted);
    }

    private static bool IsCanonical(string path) =>
        !path.EndsWith('/')
        && !path.Contains("//", StringComparison.Ordinal)
        && !path.Contains("/./", StringComparison.Ordinal)
        && !path.Contains("/../", StringComparison.Ordinal)
        && !path.EndsWith("/.", StringComparison.Ordinal)
        && !path.EndsWith("/..", StringComparison.Ordinal)
        && !path.Contains("%2e", StringComparison.OrdinalIgnoreCase)
        && !path.Contains("%2f", StringComparison.OrdinalIgnoreCase);

    private static void Route(IEndpointRouteBuilder routes, string pattern, Func<HttpContext, CancellationToken, Task> handler) =>
        routes.MapMethods(pattern, Methods, (HttpContext context) =>
        {
            // §3.1: keys may be fetched by scripts in browsers.
            context.Response.Headers.AccessControlAllowOrigin = "*";
            return handler(context, context.RequestAborted);
        }).RequireRateLimiting(RateLimitPolicy);

    // One line per lookup at Debug: the domain, the hash and the status. At thousands of lookups a second an
    // Information line each would cost more than the lookup and flood the journal; the counter
    // keypost.wkd.lookups{method,status} is always kept, and an operator who needs the lines turns log.level to
    // Debug. The hash names no one by itself (it is the published URL); the "l" query parameter, which carries
    // the local part in clear, is never logged.
    private async Task KeyAsync(HttpContext context, bool advanced, string? pathDomain, string? hash, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var settings = ResolveDomain(context, advanced, pathDomain);
        var wellFormed = hash is not null && ZBase32.IsWkdHash(hash);
        try
        {
            await KeyCoreAsync(context, settings, wellFormed ? hash : null, cancellationToken);
        }
        finally
        {
            var method = advanced ? "advanced" : "direct";
            var status = context.Response.StatusCode;
            _metrics?.Lookup(method, status);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                // Only what was checked goes into the log: a crafted path segment must not forge a log line.
                _logger.LogDebug(
                    LookupEvent,
                    "WKD {Method} lookup {Domain} {Hash}: {Status} in {ElapsedMs} ms",
                    method,
                    settings?.Domain ?? "(not hosted)",
                    wellFormed ? hash : "(malformed)",
                    status,
                    (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }

    private async Task KeyCoreAsync(HttpContext context, WkdDomainSettings? settings, string? hash, CancellationToken cancellationToken)
    {
        if (settings is null)
        {
            await ProblemWriter.NotFoundAsync(context);
            return;
        }

        if (hash is null)
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed WKD hash",
                "The last path segment must be 32 z-base-32 characters (draft-koch-openpgp-webkey-service §3.1).");
            return;
        }

        var body = await _cache.FindAsync(settings.Domain, hash, cancellationToken);
        if (body is null)
        {
            await ProblemWriter.NotFoundAsync(context);
            return;
        }

        // §3.1: binary key material, several keys concatenated when hashes collide.
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await context.Response.Body.WriteAsync(body, cancellationToken);
    }

    private Task PolicyAsync(HttpContext context, bool advanced)
    {
        var settings = ResolveDomain(context, advanced);
        return settings is null
            ? ProblemWriter.NotFoundAsync(context)
            : WriteTextAsync(context, settings.PolicyText);
    }

    private Task SubmissionAddressAsync(HttpContext context, bool advanced)
    {
        var settings = ResolveDomain(context, advanced);
        return settings?.SubmissionAddress is null
            ? ProblemWriter.NotFoundAsync(context)
            : WriteTextAsync(context, settings.SubmissionAddress + "\n");
    }

    private static Task WriteTextAsync(HttpContext context, string text) =>
        WkdRequest.WriteBodyAsync(context, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text));

    private WkdDomainSettings? ResolveDomain(HttpContext context, bool advanced) =>
        ResolveDomain(context, advanced, context.Request.RouteValues["domain"] as string);

    private WkdDomainSettings? ResolveDomain(HttpContext context, bool advanced, string? pathDomain) =>
        WkdRequest.RequestedDomain(context, advanced, pathDomain) is { } domain ? _domains.GetValueOrDefault(domain) : null;
}
