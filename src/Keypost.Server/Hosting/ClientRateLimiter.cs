using System.Net;
using System.Threading.RateLimiting;
using Keypost.Directory.Wkd;
using Keypost.Server.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Keypost.Server.Hosting;

/// <summary>
/// In charge of the per-client request budget of the public HTTPS endpoints (the <see cref="WkdEndpoints.RateLimitPolicy"/>
/// policy): one token bucket per client address, shared by the routed endpoints (<see cref="LimitEndpointsAsync"/>) and
/// WKD's key lookups, which are answered before routing (<see cref="WkdEndpoints.ServeKeysAsync"/>).
/// ASP.NET's rate-limiter middleware keeps its buckets to itself, so a lookup answered before routing could not
/// charge the same budget as a publish; this one can.
/// </summary>
internal sealed class ClientRateLimiter : IDisposable
{
    private ClientRateLimiter(PartitionedRateLimiter<HttpContext> limiter) => Limiter = limiter;

    public PartitionedRateLimiter<HttpContext> Limiter { get; }

    /// <summary>The limiter for <paramref name="limits"/>, or null when no limit is set (requests per minute 0).</summary>
    public static ClientRateLimiter? Create(RateLimitConfig limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.RequestsPerMinute <= 0)
        {
            return null;
        }

        // Lookups are cheap for us and for a harvester alike: a token bucket per client address keeps one client
        // from walking the directory. Partitioned by the address itself (IPAddress compares by value): no string
        // made per request.
        return new ClientRateLimiter(PartitionedRateLimiter.Create<HttpContext, IPAddress>(context =>
            RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress ?? IPAddress.None, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, limits.Burst),
                TokensPerPeriod = Math.Max(1, limits.RequestsPerMinute / 60),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            })));
    }

    /// <summary>Middleware after routing: charges the endpoints that asked for the policy; 429 when the budget is spent.</summary>
    public async Task LimitEndpointsAsync(HttpContext context, RequestDelegate next)
    {
        var policy = context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;
        if (!string.Equals(policy, WkdEndpoints.RateLimitPolicy, StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        using var lease = Limiter.AttemptAcquire(context);
        if (!lease.IsAcquired)
        {
            await ProblemWriter.TooManyRequestsAsync(context, lease);
            return;
        }

        await next(context);
    }

    public void Dispose() => Limiter.Dispose();
}
