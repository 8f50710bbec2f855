using Keypost.Server.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Keypost.Server.Hosting;

/// <summary>
/// In charge of the log's shape: one line per event on the console, readable text or JSON (one object per line,
/// for log shippers), timestamps in UTC. The framework's own chatter is kept to warnings.
/// </summary>
public static class KeypostLogging
{
    public const string TextFormat = "text";
    public const string JsonFormat = "json";

    public static void Configure(ILoggingBuilder logging, KeypostConfig config, KeypostServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(settings);
        logging.ClearProviders();
        var level = settings.RunAsService
            ? Enum.Parse<LogLevel>(config.Log.Level, ignoreCase: true)
            : settings.EmbeddedLogLevel;
        logging.SetMinimumLevel(level);
        // A line per HTTP request would cost more than the lookup itself; WKD logs its own line per lookup.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        // This category logs only each request's start and end (Information and Debug), but while it is enabled at any
        // level ASP.NET starts an Activity and a log scope for every request: a tenth of a WKD lookup's CPU. Errors
        // of the application are Kestrel's category and stay.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        logging.AddFilter("Microsoft.Hosting.Lifetime", settings.RunAsService ? LogLevel.Information : LogLevel.Warning);
        var format = settings.LogFormat ?? (settings.RunAsService ? config.Log.Format : TextFormat);
        if (format == JsonFormat)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.IncludeScopes = false;
            });
            // Under systemd the console would switch to its own format; the operator asked for JSON.
            logging.Services.PostConfigure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Json);
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        settings.ConfigureLogging?.Invoke(logging);
    }
}
