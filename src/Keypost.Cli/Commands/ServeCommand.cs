using System.CommandLine;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;

namespace Keypost.Cli.Commands;

/// <summary>In charge of the verbs' parsing and printing, one class a verb group; this one runs `keypost serve`.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var config = ConfigOption.Create();
        var logFormat = new Option<string?>("--log-format")
        {
            Description = "Log as 'text' or 'json' (one object per line); overrides log.format in the configuration",
        };
        logFormat.AcceptOnlyFromAmong(KeypostLogging.TextFormat, KeypostLogging.JsonFormat);
        var listenOverride = new Option<string[]>("--listen-override")
        {
            Description = "PORT=IP:PORT: bind every listener configured on PORT to IP:PORT instead (repeatable; also $KEYPOST_LISTEN_OVERRIDE, comma-separated)",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("serve", "Run the Keypost server described by a configuration file; SIGTERM drains and stops it.") { config, logFormat, listenOverride };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var overrides = (result.GetValue(listenOverride) ?? []).ToList();
            if (Environment.GetEnvironmentVariable(ListenOverrides.EnvironmentVariable) is { Length: > 0 } fromEnvironment)
            {
                overrides.Insert(0, fromEnvironment);
            }

            ListenOverrides.Parse(overrides).Apply(settings);
            var format = result.GetValue(logFormat) ?? settings.Log.Format;
            await using var server = await KeypostServer.StartAsync(
                settings,
                new KeypostServerSettings { RunAsService = true, LogFormat = format },
                cancellationToken);
            if (format == KeypostLogging.JsonFormat)
            {
                // Standard output is the log shipper's then: one JSON object per line, nothing else (the
                // listeners' addresses are in the log).
                await server.WaitForShutdownAsync(cancellationToken);
                return 0;
            }

            foreach (var endpoint in server.HttpsEndpoints)
            {
                await Console.Out.WriteLineAsync($"keypost: serving WKD on https://{endpoint}");
            }

            foreach (var endpoint in server.MetricsEndpoints)
            {
                await Console.Out.WriteLineAsync($"keypost: serving /healthz and /metrics on http://{endpoint}");
            }

            foreach (var endpoint in server.Mail?.SmtpEndpoints ?? [])
            {
                await Console.Out.WriteLineAsync($"keypost: serving SMTP on {endpoint}");
            }

            foreach (var endpoint in server.Mail?.ImapEndpoints ?? [])
            {
                await Console.Out.WriteLineAsync($"keypost: serving IMAP on {endpoint}");
            }

            // The host's lifetime turns SIGTERM/SIGINT into a graceful stop; this returns once it has drained.
            await server.WaitForShutdownAsync(cancellationToken);
            return 0;
        }));
        return command;
    }
}
