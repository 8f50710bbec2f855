using System.CommandLine;
using Keypost.Cli.Demo;

namespace Keypost.Cli.Commands;

public static class DemoCommand
{
    public static Command Create()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the demo's data directory instead of deleting it" };
        var command = new Command("demo", "Run the whole story on this machine, on loopback, with the embedded defaults.") { keep };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(
            () => new DemoRunner(Console.Out, result.GetValue(keep)).RunAsync(cancellationToken)));
        return command;
    }
}
