using System.Net;
using System.Text;
using Keypost.Server.Configuration;
using Keypost.Transparency.Witness;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Witness;

/// <summary>
/// In charge of `keypost witness`: the witness's HTTP service and its store.
/// <c>keypost witness serve</c>: a C2SP tlog-witness over plain HTTP (POST /add-checkpoint), with GET /vkey
/// for its verifier key. Its own small Kestrel host, apart from the mail server: a witness is run by someone
/// other than the log's operator.
/// </summary>
public sealed class WitnessServer : IAsyncDisposable
{
    /// <summary>A signed note is at most 64 KiB, plus 63 proof lines of 45 bytes and the old size line.</summary>
    private const int MaxBodyBytes = 64 * 1024 + 4096;

    private readonly WebApplication _app;

    private WitnessServer(WebApplication app, LogWitness witness, IReadOnlyList<IPEndPoint> endpoints)
    {
        _app = app;
        Witness = witness;
        Endpoints = endpoints;
    }

    public LogWitness Witness { get; }

    public IReadOnlyList<IPEndPoint> Endpoints { get; }

    public string VerifierKey => Witness.VerifierKey;

    public static async Task<WitnessServer> StartAsync(WitnessConfig config, ILoggerFactory loggers, TimeProvider time, CancellationToken cancellationToken)
    {
        config.Validate();
        var store = await SqliteWitnessStore.OpenAsync(config.Database, cancellationToken);
        var cosigner = new Cosigner(config.Name, await store.KeyAsync(cancellationToken));
        var witness = new LogWitness(cosigner, config.WitnessedLogs(), store, config.RateLimit, time);
        var logger = loggers.CreateLogger("Keypost.Witness");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
            foreach (var listen in config.Listen)
            {
                kestrel.Listen(ListenAddress.Parse(listen), options => options.Protocols = HttpProtocols.Http1);
            }
        });
        var app = builder.Build();
        app.MapPost("/add-checkpoint", async (HttpContext context) =>
        {
            string body;
            try
            {
                using var reader = new StreamReader(context.Request.Body, new UTF8Encoding(false, true));
                body = await reader.ReadToEndAsync(context.RequestAborted);
            }
            catch (Exception e) when (e is DecoderFallbackException or Microsoft.AspNetCore.Http.BadHttpRequestException)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var response = await witness.AddCheckpointAsync(body, context.RequestAborted);
            if (response.Status != StatusCodes.Status200OK)
            {
                logger.LogInformation("add-checkpoint refused with {Status}: {Reason}", response.Status, response.Body.TrimEnd());
            }

            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            await context.Response.WriteAsync(response.Body, context.RequestAborted);
        });
        app.MapGet("/vkey", () => Results.Text(witness.VerifierKey + "\n", "text/plain; charset=utf-8"));
        await app.StartAsync(cancellationToken);
        var endpoints = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a))
            .Select(u => new IPEndPoint(IPAddress.Parse(u.Host.Trim('[', ']')), u.Port))
            .ToList();
        logger.LogInformation("witness {Name} serving {Count} log(s)", config.Name, config.Logs.Count);
        return new WitnessServer(app, witness, endpoints);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
    }
}
