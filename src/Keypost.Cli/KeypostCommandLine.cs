using System.CommandLine;
using Keypost.Cli.Commands;

namespace Keypost.Cli;

/// <summary>
/// In charge of the `keypost` command line: every verb, its options and the exit code of a run. The `keypost` command tree.
/// </summary>
public static class KeypostCommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Keypost: end-to-end encrypted email on ordinary SMTP, with keys found by WKD.")
        {
            DemoCommand.Create(),
            ServeCommand.Create(),
            WkdCommands.Create(),
            KeyCommands.Create(),
            DirectoryCommands.Create(),
            LogCommands.Create(),
            WitnessCommands.Create(),
            UserCommands.Create(),
            QueueCommands.Create(),
            StorageCommands.Create(),
            DnsRecordsCommand.Create(),
            QuickstartCommand.Create(),
            CheckDnsCommand.Create(),
        };
        foreach (var command in ClientCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        // SIGTERM is left to the command: `serve` drains on it (its host's lifetime handles the signal), which
        // System.CommandLine's own handler would cut short after its two-second grace.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(configuration, cancel.Token);
    }
}
