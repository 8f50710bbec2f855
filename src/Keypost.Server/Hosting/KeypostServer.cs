using System.Diagnostics.Metrics;
using System.Net;
using Keypost.Directory.Diagnostics;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Mail.Diagnostics;
using Keypost.Server.Configuration;
using Keypost.Server.Mail;
using Keypost.Server.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Keypost.Server.Hosting;

/// <summary>
/// In charge of running a server: every listener and worker as a hosted service, started and stopped together.
/// The composition root: one process serving the directory over HTTPS, SMTP, IMAP and delivery from one
/// configuration, on Microsoft.Extensions.Hosting. Each listener and the delivery worker is a hosted service;
/// a stop (SIGTERM under <c>keypost serve</c>, or disposing) drains SMTP, says BYE to IMAP and leaves the queue
/// on disk. Services stop in the reverse order of start: IMAP, SMTP (drain), HTTP, delivery last.
/// </summary>
public sealed class KeypostServer : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly ServerParts _parts;
    private readonly HttpService? _http;
    private bool _disposed;
    private bool _stopped;

    private KeypostServer(IHost host, ServerParts parts, HttpService? http)
    {
        _host = host;
        _parts = parts;
        _http = http;
    }

    public DirectoryStore Store => _parts.Store;

    /// <summary>The domains' transparency logs.</summary>
    public DirectoryTransparency Transparency => _parts.Transparency;

    /// <summary>The SMTP listeners, queue and delivery; null when the configuration has no mail listeners.</summary>
    public MailHost? Mail => _parts.Mail;

    /// <summary>The HTTPS endpoints actually bound (useful when the configuration asked for port 0).</summary>
    public IReadOnlyList<IPEndPoint> HttpsEndpoints => _http?.HttpsEndpoints ?? [];

    /// <summary>The plain-HTTP /healthz and /metrics endpoints actually bound.</summary>
    public IReadOnlyList<IPEndPoint> MetricsEndpoints => _http?.MetricsEndpoints ?? [];

    /// <summary>The host's services (logging, metrics, options).</summary>
    public IServiceProvider Services => _host.Services;

    public static Task<KeypostServer> StartAsync(KeypostConfig config, CancellationToken cancellationToken, LogLevel logLevel = LogLevel.Warning) =>
        StartAsync(config, new KeypostServerSettings { EmbeddedLogLevel = logLevel }, cancellationToken);

    public static async Task<KeypostServer> StartAsync(KeypostConfig config, KeypostServerSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(settings);
        // Options validated at start, file or not: every problem named by its JSON path.
        var problems = new KeypostConfigValidator().Validate(null, config);
        if (problems.Failed)
        {
            throw new ConfigException("invalid configuration: " + string.Join(Environment.NewLine + "  ", problems.Failures));
        }

        if (config.Acme.Enabled && !File.Exists(config.Http.CertificateFile))
        {
            // Listeners start at once on a stand-in; the CA's certificate replaces it as soon as it is issued.
            TlsKeyFiles.EnsureKey(config.Http.KeyFile!);
            TlsKeyFiles.WriteStandIn(config.Http.KeyFile!, config.Http.CertificateFile!, config.CertificateNames);
        }

        var store = await DirectoryOpener.OpenAsync(config, cancellationToken);
        var transparency = await DirectoryTransparency.OpenAsync(
            store,
            TimeProvider.System,
            new TransparencyOptions
            {
                EpochInterval = TimeSpan.FromSeconds(config.Transparency.EpochIntervalSeconds),
                PollInterval = TimeSpan.FromSeconds(config.Transparency.SequenceIntervalSeconds),
                Witnesses = config.Transparency.WitnessEndpoints(),
            },
            null,
            cancellationToken);
        var parts = new ServerParts(store, transparency);
        var host = Build(config, settings, parts);
        var server = new KeypostServer(host, parts, host.Services.GetService<HttpService>());
        try
        {
            var tlsLogger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Keypost.Server.Tls");
            if (config.Http.Listen.Count > 0)
            {
                parts.HttpCertificate = new ReloadableCertificate(config.Http.CertificateFile!, config.Http.KeyFile!, tlsLogger);
            }

            if (config.Mail.Enabled)
            {
                parts.MailCertificate = parts.HttpCertificate is { } shared && shared.CertificateFile == config.MailCertificateFile && shared.KeyFile == config.MailKeyFile
                    ? shared
                    : new ReloadableCertificate(config.MailCertificateFile!, config.MailKeyFile!, tlsLogger);
                parts.Mail = await MailHost.CreateAsync(
                    config,
                    store,
                    host.Services.GetRequiredService<ILoggerFactory>(),
                    host.Services.GetRequiredService<MailMetrics>(),
                    cancellationToken,
                    certificate: parts.MailCertificate);
            }

            await host.StartAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Returns when the host stops: SIGTERM or SIGINT under <c>keypost serve</c>, or the token.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        // WaitForShutdownAsync stops the host itself (draining) before it returns.
        await _host.WaitForShutdownAsync(cancellationToken);
        _stopped = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_stopped)
            {
                await _host.StopAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out; what is left is torn down below.
        }

        if (_http is not null)
        {
            await _http.DisposeAsync();
        }

        if (_parts.Mail is not null)
        {
            await _parts.Mail.DisposeAsync();
        }

        // After everything that reads or writes the directory (on PostgreSQL this closes its pool).
        await _parts.Store.Database.DisposeAsync();

        // Last: the log (the drain's lines are flushed here) and the meters.
        if (_host is IAsyncDisposable asyncHost)
        {
            await asyncHost.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }

    private static IHost Build(KeypostConfig config, KeypostServerSettings settings, ServerParts parts)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var services = builder.Services;
        KeypostLogging.Configure(builder.Logging, config, settings);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(config.DrainSeconds + 15));
        if (settings.RunAsService)
        {
            // Type=notify units learn READY=1 and STOPPING=1; without systemd this does nothing and the console
            // lifetime turns SIGTERM and SIGINT into a graceful stop.
            services.AddSystemd();
            if (!SystemdHelpers.IsSystemdService() && Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
            {
                // sd_notify(3): whoever sets NOTIFY_SOCKET wants READY=1 and STOPPING=1. AddSystemd (10.x) also
                // asks for systemd as the parent process, which a supervisor started by systemd, or a test, is not.
                services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
                services.AddSingleton<IHostLifetime, SystemdLifetime>();
            }
        }
        else
        {
            services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }

        services.AddSingleton(config);
        services.AddSingleton<IOptions<KeypostConfig>>(Options.Create(config));
        services.AddSingleton<IValidateOptions<KeypostConfig>, KeypostConfigValidator>();
        services.AddSingleton(parts);
        services.AddSingleton(parts.Store);
        services.AddSingleton(parts.Transparency);
        services.AddSingleton(sp => new MailMetrics(sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton(sp => new DirectoryMetrics(sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton<KeypostHealth>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(MailMetrics.MeterName, DirectoryMetrics.MeterName)
            .AddPrometheusExporter());

        if (config.Http.Listen.Count > 0 || config.Mail.Enabled)
        {
            services.AddHostedService<CertificateService>();
        }

        // After startup and after each load, memory goes back once the server is quiet (docs/benchmarks.md, "Memory").
        services.AddHostedService(sp => IdleMemoryTrimmer.Create(TimeProvider.System, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Keypost.Server.Memory")));
        services.AddHostedService(sp => new EpochSequencer(parts.Transparency, TimeProvider.System, sp.GetRequiredService<ILogger<EpochSequencer>>()));
        if (config.Transparency.MonitorIntervalSeconds > 0)
        {
            // The mail host is created after the host is built, so the service asks for it when it runs.
            services.AddHostedService(sp => new Monitoring.OwnerMonitorService(
                new Directory.Monitoring.BindingHistoryMonitor(parts.Store.Database, Directory.Monitoring.BindingHistoryMonitor.DefaultRules, TimeProvider.System),
                () => parts.Mail,
                config.Hostname,
                TimeSpan.FromSeconds(config.Transparency.MonitorIntervalSeconds),
                TimeProvider.System,
                sp.GetRequiredService<ILogger<Monitoring.OwnerMonitorService>>()));
        }

        if (config.Lifecycle.ExpiryReminderIntervalSeconds > 0)
        {
            services.AddHostedService(sp => new Monitoring.ExpiryReminderService(
                new Directory.Lifecycle.ExpiryReminderPlanner(parts.Store, config.Lifecycle.ExpiryReminderDays),
                new Directory.Storage.LifecycleStore(parts.Store.Database),
                () => parts.Mail,
                config.Hostname,
                TimeSpan.FromSeconds(config.Lifecycle.ExpiryReminderIntervalSeconds),
                TimeProvider.System,
                sp.GetRequiredService<ILogger<Monitoring.ExpiryReminderService>>()));
        }

        // Start order: delivery, HTTP, the IMAP warm-up, SMTP, IMAP; a stop runs backwards, so delivery keeps going while SMTP drains.
        if (config.Mail.Enabled)
        {
            services.AddHostedService(_ => new DeliveryService(parts.Mail!));
        }

        if (config.Http.Listen.Count > 0 || config.Metrics.Listen.Count > 0 || config.Acme.ChallengeListen.Count > 0)
        {
            services.AddSingleton<HttpService>();
            services.AddHostedService(sp => sp.GetRequiredService<HttpService>());
        }

        var imap = config.Mail.Imap.Count + config.Mail.ImapTls.Count > 0;
        if (imap)
        {
            services.AddHostedService(sp => new ImapWarmUpService(parts.Mail!.Imap!, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Keypost.Mail.Imap")));
        }

        if (config.Mail.Inbound.Count + config.Mail.Submission.Count + config.Mail.SubmissionTls.Count > 0)
        {
            services.AddHostedService(sp => new SmtpService(parts.Mail!.Smtp!, config, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Keypost.Mail.Smtp")));
        }

        if (imap)
        {
            services.AddHostedService(sp => new ImapService(parts.Mail!.Imap!, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Keypost.Mail.Imap")));
        }

        return builder.Build();
    }
}
