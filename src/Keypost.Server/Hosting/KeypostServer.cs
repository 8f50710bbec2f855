using System.Net;
using System.Threading.RateLimiting;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Directory.Wkd;
using Keypost.Server.Configuration;
using Keypost.Server.Mail;
using Keypost.Server.Tls;
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
    private readonly WebApplication? _app;

    private KeypostServer(WebApplication? app, MailHost? mail, DirectoryStore store)
    {
        _app = app;
        Mail = mail;
        Store = store;
    }

    public DirectoryStore Store { get; }

    /// <summary>The domains' transparency logs; null without HTTP listeners.</summary>
    public DirectoryTransparency? Transparency => _app?.Services.GetService<DirectoryTransparency>();

    /// <summary>The SMTP listeners, queue and delivery; null when the configuration has no mail listeners.</summary>
    public MailHost? Mail { get; }

    /// <summary>The HTTPS endpoints actually bound (useful when the configuration asked for port 0).</summary>
    public IReadOnlyList<IPEndPoint> HttpsEndpoints { get; private set; } = [];

    public static async Task<KeypostServer> StartAsync(KeypostConfig config, CancellationToken cancellationToken, LogLevel logLevel = LogLevel.Warning)
    {
        var store = await DirectoryOpener.OpenAsync(config, cancellationToken);
        var app = config.Http.Listen.Count > 0 ? await StartHttpAsync(config, store, logLevel, cancellationToken) : null;
        MailHost? mail = null;
        try
        {
            mail = config.Mail.Enabled ? await MailHost.StartAsync(config, store, cancellationToken) : null;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            throw;
        }

        var server = new KeypostServer(app, mail, store);
        server.HttpsEndpoints = app is null
            ? []
            : app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<IServerAddressesFeature>()!.Addresses
                .Select(a => new Uri(a))
                .Select(u => new IPEndPoint(IPAddress.Parse(u.Host.Trim('[', ']')), u.Port))
                .ToList();
        return server;
    }

    private static async Task<WebApplication> StartHttpAsync(KeypostConfig config, DirectoryStore store, LogLevel logLevel, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(logLevel);
        // A line per request would cost more than the lookup itself; the framework speaks only of trouble.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var certificate = TlsCertificates.Load(config.Http.CertificateFile!, config.Http.KeyFile!);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var listen in config.Http.Listen)
            {
                kestrel.Listen(ListenAddress.Parse(listen), options =>
                {
                    options.Protocols = HttpProtocols.Http1AndHttp2;
                    options.UseHttps(certificate);
                });
            }
        });
        AddRateLimiting(builder.Services, config.RateLimit);
        var transparency = await DirectoryTransparency.OpenAsync(store, TimeProvider.System, new TransparencyOptions { EpochInterval = TimeSpan.FromSeconds(config.Transparency.EpochIntervalSeconds) }, null, cancellationToken);
        builder.Services.AddSingleton(transparency);
        builder.Services.AddHostedService(s => new EpochSequencer(transparency, TimeProvider.System, s.GetRequiredService<ILogger<EpochSequencer>>()));

        var app = builder.Build();
        app.UseRateLimiter();
        var wkd = new WkdEndpoints(store, config.Domains.Select(d => new WkdDomainSettings(Core.Addresses.EmailAddress.NormalizeDomain(d.Name), d.WkdPolicy, d.SubmissionAddress)));
        wkd.Map(app);
        new TransparencyEndpoints(store, transparency).Map(app);
        app.MapFallback((HttpContext context) => ProblemWriter.NotFoundAsync(context));

        await app.StartAsync(cancellationToken);
        return app;
    }

    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.WaitForShutdownAsync(cancellationToken);
        }
        else
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Mail is not null)
        {
            await Mail.DisposeAsync();
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
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
