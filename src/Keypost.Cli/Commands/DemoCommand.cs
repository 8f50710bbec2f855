using System.CommandLine;
using Keypost.Cli.Demo;

namespace Keypost.Cli.Commands;

public static class DemoCommand
{
    public static Command Create()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the demo's data directory instead of deleting it" };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable transcript of every step (JSON) instead of the story" };
        var command = new Command("demo", "Run the whole story on this machine, on loopback, with the embedded defaults.") { keep, json };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(() =>
        {
            var asJson = result.GetValue(json);
            // Colour only on a terminal, and never with NO_COLOR set (no-color.org).
            var colour = !asJson && !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
            var transcript = new DemoTranscript(Console.Out, Console.Error, asJson, colour);
            return new DemoRunner(transcript, Console.Error, result.GetValue(keep)).RunAsync(cancellationToken);
        }));
        return command;
    }
}
