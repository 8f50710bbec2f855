using System.CommandLine;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Cli.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var config = ConfigOption.Create();
        var command = new Command("serve", "Run the Keypost server described by a configuration file.") { config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            await using var server = await KeypostServer.StartAsync(settings, cancellationToken, LogLevel.Information);
            foreach (var endpoint in server.HttpsEndpoints)
            {
                await Console.Out.WriteLineAsync($"keypost: serving WKD on https://{endpoint}");
            }

            foreach (var endpoint in server.Mail?.SmtpEndpoints ?? [])
            {
                await Console.Out.WriteLineAsync($"keypost: serving SMTP on {endpoint}");
            }

            foreach (var endpoint in server.Mail?.ImapEndpoints ?? [])
            {
                await Console.Out.WriteLineAsync($"keypost: serving IMAP on {endpoint}");
            }

            await server.WaitForShutdownAsync(cancellationToken);
            return 0;
        }));
        return command;
    }
}
