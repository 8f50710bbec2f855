using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Keypost.Directory.Storage;
using Keypost.Directory.Wkd;
using Keypost.Server.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>
/// The composition root: one process serving the directory over HTTPS (and, as they land, SMTP and IMAP)
/// from one configuration.
/// </summary>
public sealed class KeypostServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KeypostServer(WebApplication app, DirectoryStore store)
    {
        _app = app;
        Store = store;
    }

    public DirectoryStore Store { get; }

    /// <summary>The HTTPS endpoints actually bound (useful when the configuration asked for port 0).</summary>
    public IReadOnlyList<IPEndPoint> HttpsEndpoints { get; private set; } = [];

    public static async Task<KeypostServer> StartAsync(KeypostConfig config, CancellationToken cancellationToken, LogLevel logLevel = LogLevel.Warning)
    {
        var store = await DirectoryOpener.OpenAsync(config, cancellationToken);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(logLevel);
        // A line per request would cost more than the lookup itself; the framework speaks only of trouble.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var certificate = LoadCertificate(config.Http);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var listen in config.Http.Listen)
            {
                kestrel.Listen(ListenAddress.Parse(listen), options =>
                {
                    options.Protocols = HttpProtocols.Http1AndHttp2;
                    options.UseHttps(certificate!);
                });
            }
        });
        AddRateLimiting(builder.Services, config.RateLimit);

        var app = builder.Build();
        app.UseRateLimiter();
        var wkd = new WkdEndpoints(store, config.Domains.Select(d => new WkdDomainSettings(Core.Addresses.EmailAddress.NormalizeDomain(d.Name), d.WkdPolicy, d.SubmissionAddress)));
        wkd.Map(app);
        app.MapFallback((HttpContext context) => ProblemWriter.NotFoundAsync(context));

        await app.StartAsync(cancellationToken);
        var server = new KeypostServer(app, store);
        server.HttpsEndpoints = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a))
            .Select(u => new IPEndPoint(IPAddress.Parse(u.Host.Trim('[', ']')), u.Port))
            .ToList();
        return server;
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static X509Certificate2? LoadCertificate(HttpConfig http)
    {
        if (http.CertificateFile is null || http.KeyFile is null)
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(http.CertificateFile, http.KeyFile);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new ConfigException($"cannot load the TLS certificate {http.CertificateFile}: {e.Message}");
        }
    }

    // Lookups are cheap for us and for a harvester alike: a token bucket per client address keeps one client
    // from walking the directory, and the 429 says when to come back (RFC 6585 §4).
    private static void AddRateLimiting(IServiceCollection services, RateLimitConfig limits)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(WkdEndpoints.RateLimitPolicy, context =>
            {
                if (limits.RequestsPerMinute <= 0)
                {
                    return RateLimitPartition.GetNoLimiter("off");
                }

                var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, limits.Burst),
                    TokensPerPeriod = Math.Max(1, limits.RequestsPerMinute / 60),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            options.OnRejected = async (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ProblemWriter.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too Many Requests", "Too many lookups from this address; retry later.");
            };
        });
    }
}
