using System.Net;
using Keypost.Directory.Diagnostics;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Directory.Wkd;
using Keypost.Server.Acme;
using Keypost.Server.Configuration;
using Keypost.Server.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Keypost.Server.Hosting;

/// <summary>
/// In charge of everything HTTP: the WKD endpoints on the HTTPS listeners, and /healthz and /metrics on the
/// operator's plain-HTTP listeners (<c>metrics.listen</c>). Kestrel runs in a web application of its own inside
/// this hosted service, sharing the host's log and metrics, so that a server without HTTP listeners binds nothing.
/// </summary>
internal sealed class HttpService(
    KeypostConfig config,
    DirectoryStore store,
    DirectoryTransparency transparency,
    ILoggerFactory loggers,
    DirectoryMetrics metrics,
    MeterProvider meterProvider,
    KeypostHealth health,
    ServerParts parts) : IHostedService, IAsyncDisposable
{
    private const string MetricsPath = "/metrics";
    private const string HealthPath = "/healthz";

    private WebApplication? _app;
    private ClientRateLimiter? _limiter;

    // Publishing checks the account's password: Argon2id, bounded in parallel like the mail logins.
    private readonly Directory.Accounts.PasswordHashGate _hashGate = new();

    /// <summary>The HTTPS endpoints actually bound (useful when the configuration asked for port 0).</summary>
    public IReadOnlyList<IPEndPoint> HttpsEndpoints { get; private set; } = [];

    /// <summary>The plain-HTTP operator endpoints actually bound.</summary>
    public IReadOnlyList<IPEndPoint> MetricsEndpoints { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The empty builder, not the slim one: keypost.json is the configuration, so no appsettings.json (the slim
        // builder watched it: a FileSystemWatcher with inotify watches on the working directory and every directory
        // under it, woken by each write of the queue and the databases), no environment or command-line sources,
        // and no host filtering middleware in front of every request (with no AllowedHosts it lets any host
        // through). Kestrel and routing are added by hand; the certificate is given in code, so Kestrel's HTTPS
        // configuration from IConfiguration is not needed (docs/benchmarks.md, "WKD lookups" and "Memory").
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        // One log for the whole process: the host's factory, with its filters and format.
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // The outer host owns the signals and the lifetime messages; this one only starts and stops Kestrel.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        // Asked at each handshake, so a renewed certificate is served without a restart.
        var certificate = parts.HttpCertificate;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var listen in config.Http.Listen)
            {
                kestrel.Listen(ListenAddress.Parse(listen), options =>
                {
                    options.Protocols = HttpProtocols.Http1AndHttp2;
                    options.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificate!.Current);
                });
            }

            foreach (var listen in config.Metrics.Listen.Concat(config.Acme.ChallengeListen))
            {
                kestrel.Listen(ListenAddress.Parse(listen), options => options.Protocols = HttpProtocols.Http1);
            }
        });
        _limiter = ClientRateLimiter.Create(config.RateLimit);

        var app = builder.Build();
        app.Use(SeparateListenersAsync);
        app.Use(WkdEndpoints.GuardAsync);
        var wkd = new WkdEndpoints(
            store,
            config.Domains.Select(d => new WkdDomainSettings(Core.Addresses.EmailAddress.NormalizeDomain(d.Name), d.WkdPolicy, d.SubmissionAddress)),
            loggers.CreateLogger("Keypost.Directory.Wkd"),
            metrics,
            new WkdCertificateCache(store, TimeSpan.FromSeconds(config.Http.WkdCacheSeconds), TimeProvider.System),
            _limiter?.Limiter);
        // Key lookups are answered here, before endpoint matching (docs/benchmarks.md, "WKD lookups"); everything
        // else is routed. Routing placed explicitly, or WebApplication would run it first for every request.
        app.Use(wkd.ServeKeysAsync);
        app.UseRouting();
        if (_limiter is not null)
        {
            app.Use(_limiter.LimitEndpointsAsync);
        }

        wkd.Map(app);
        new TransparencyEndpoints(store, transparency).Map(app);
        new Directory.Publishing.PublishEndpoint(
            store,
            new Directory.Publishing.KeyPublisher(store, new Core.OpenPgp.CertificatePolicy(), TimeProvider.System),
            _hashGate,
            loggers.CreateLogger("Keypost.Directory.Publishing")).Map(app);
        new Directory.Devices.DeviceEndpoints(store, _hashGate, TimeProvider.System, loggers.CreateLogger("Keypost.Directory.Devices")).Map(app);
        MapMtaStsPolicy(app);
        app.MapGet(HealthPath, health.WriteAsync);
        // A plain RequestDelegate, not a handler with bound parameters: those make ASP.NET compile expression trees,
        // several MiB of an idle server (docs/benchmarks.md, "Memory").
        app.MapGet(AcmeChallenges.PathPrefix + "{token}", (HttpContext context) =>
            parts.Challenges.Find((string)context.Request.RouteValues["token"]!) is { } answer
                ? ChallengeAnswerAsync(context, answer)
                : ProblemWriter.WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", "No such challenge token."));
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider, configureBranchedPipeline: null, optionsName: null);
        app.MapFallback((HttpContext context) => ProblemWriter.NotFoundAsync(context));

        await app.StartAsync(cancellationToken);
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a))
            .ToList();
        HttpsEndpoints = bound.Where(u => u.Scheme == Uri.UriSchemeHttps).Select(ToEndPoint).ToList();
        MetricsEndpoints = bound.Where(u => u.Scheme == Uri.UriSchemeHttp).Select(ToEndPoint).ToList();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }

        _hashGate.Dispose();
        _limiter?.Dispose();
    }

    // RFC 8461 §3.3: the policy is served as text/plain at https://mta-sts.<domain>/.well-known/mta-sts.txt; the
    // Host header says which domain is asked about, and any other host gets 404 as elsewhere.
    private void MapMtaStsPolicy(WebApplication app)
    {
        var domains = config.Domains.Select(d => Core.Addresses.EmailAddress.NormalizeDomain(d.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var policy = config.MtaStsPublication().PolicyText;
        app.MapGet(Keypost.Mail.MtaSts.MtaStsPublication.WellKnownPath, (HttpContext context) =>
        {
            var host = context.Request.Host.Host.TrimEnd('.');
            if (!host.StartsWith("mta-sts.", StringComparison.OrdinalIgnoreCase) || !domains.Contains(host["mta-sts.".Length..]))
            {
                return ProblemWriter.NotFoundAsync(context);
            }

            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync(policy, context.RequestAborted);
        });
    }

    // RFC 8555 §8.3: the key authorization as the body, application/octet-stream.
    private static Task ChallengeAnswerAsync(HttpContext context, string answer)
    {
        context.Response.ContentType = "application/octet-stream";
        return context.Response.WriteAsync(answer, context.RequestAborted);
    }

    private static IPEndPoint ToEndPoint(Uri uri) => new(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);

    // WKD is HTTPS only (draft-koch-openpgp-webkey-service §3.1); the operator's numbers are not for the public
    // listener. Each listener answers only its own paths, the same 404 otherwise.
    // ACME's challenge listeners (port 80) answer http-01 tokens and nothing else (RFC 8555 §8.3).
    private Task SeparateListenersAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        var operatorPath = path.Equals(MetricsPath, StringComparison.Ordinal) || path.Equals(HealthPath, StringComparison.Ordinal);
        var challengeListener = !context.Request.IsHttps && config.Acme.ChallengeListen.Any(l => ListenAddress.Parse(l).Port == context.Connection.LocalPort);
        var allowed = context.Request.IsHttps
            ? !path.Equals(MetricsPath, StringComparison.Ordinal) && !path.StartsWithSegments(AcmeChallenges.PathPrefix.TrimEnd('/'), StringComparison.Ordinal)
            : challengeListener
                ? path.StartsWithSegments(AcmeChallenges.PathPrefix.TrimEnd('/'), StringComparison.Ordinal)
                : operatorPath;
        return allowed ? next(context) : ProblemWriter.NotFoundAsync(context);
    }
}
