using System.CommandLine;
using System.Runtime.InteropServices;
using Keypost.Server.Witness;
using Microsoft.Extensions.Logging;

namespace Keypost.Cli.Commands;

/// <summary>`keypost witness serve|key --config FILE`: an independent C2SP tlog-witness (docs/transparency.md).</summary>
public static class WitnessCommands
{
    public static Command Create() => new("witness", "Run an independent witness that cosigns transparency-log checkpoints.") { Serve(), Key() };

    private static Command Serve()
    {
        var config = ConfigFile();
        var command = new Command("serve", "Serve C2SP tlog-witness add-checkpoint over HTTP; SIGTERM or Ctrl-C stops it.") { config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = WitnessConfig.Load(result.GetValue(config)!);
            using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            await using var server = await WitnessServer.StartAsync(settings, loggers, TimeProvider.System, cancellationToken);
            await Console.Out.WriteLineAsync($"keypost: witness {server.VerifierKey}");
            foreach (var endpoint in server.Endpoints)
            {
                await Console.Out.WriteLineAsync($"keypost: serving add-checkpoint on http://{endpoint}");
            }

            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or Ctrl-C: the normal way to stop a witness.
            }

            await server.StopAsync(CancellationToken.None);
            return 0;
        }));
        return command;
    }

    private static Command Key()
    {
        var config = ConfigFile();
        var command = new Command("key", "Print the witness's verifier key (C2SP vkey, type 0x04), creating the key on first use.") { config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = WitnessConfig.Load(result.GetValue(config)!);
            var store = await SqliteWitnessStore.OpenAsync(settings.Database, cancellationToken);
            var cosigner = new Transparency.Witness.Cosigner(settings.Name, await store.KeyAsync(cancellationToken));
            await Console.Out.WriteLineAsync(cosigner.VerifierKey);
            return 0;
        }));
        return command;
    }

    private static Option<string> ConfigFile() => new("--config") { Description = "The witness's JSON configuration file", Required = true };
}
