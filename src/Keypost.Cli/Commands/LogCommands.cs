using System.CommandLine;
using Keypost.Core.Addresses;
using Keypost.Directory.Transparency;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;

namespace Keypost.Cli.Commands;

/// <summary>`keypost log key --domain D`: the domain's transparency log, as a server operator sees it.</summary>
public static class LogCommands
{
    public static Command Create() => new("log", "The domains' key transparency logs.") { Key() };

    private static Command Key()
    {
        var config = ConfigOption.Create();
        var domain = new Option<string>("--domain") { Description = "The hosted domain", Required = true };
        var command = new Command("key", "Print the log's verifier key (C2SP signed-note vkey); the signing key stays in the database.") { domain, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            var name = EmailAddress.NormalizeDomain(result.GetValue(domain)!);
            var transparency = await DirectoryTransparency.OpenAsync(store, TimeProvider.System, new TransparencyOptions(), null, cancellationToken);
            var vkey = transparency.VerifierKey(name) ?? throw new CliException($"{name} is not a domain this server hosts");
            await Console.Out.WriteLineAsync(vkey);
            return 0;
        }));
        return command;
    }
}
