using System.CommandLine;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;

namespace Keypost.Cli.Commands;

/// <summary>`keypost directory publish|list`: the domain's published certificates.</summary>
public static class DirectoryCommands
{
    public static Command Create() => new("directory", "Publish and list the certificates this server's domains serve.") { Publish(), List() };

    private static Command Publish()
    {
        var config = ConfigOption.Create();
        var file = new Argument<FileInfo>("file") { Description = "The certificate to publish (binary or armored)" };
        var address = new Option<string?>("--address", "-a") { Description = "Publish for this address only (default: every hosted address the key carries)" };
        var command = new Command("publish", "Publish a certificate for its hosted addresses, minimised; the previous one becomes history.") { file, address, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            var publisher = new KeyPublisher(store, new CertificatePolicy(), TimeProvider.System);
            var path = result.GetValue(file)!.FullName;
            await using var input = File.OpenRead(path);
            var data = await OpenPgpInput.ReadCappedAsync(input, KeyPublisher.MaxInputBytes, cancellationToken);
            var only = result.GetValue(address) is { } text ? EmailAddress.Parse(text) : null;
            foreach (var publication in await publisher.PublishAsync(data, only, cancellationToken))
            {
                await Console.Out.WriteLineAsync(
                    $"published {publication.Fingerprint} for {publication.Address}{(publication.Revoked ? " (revocation)" : "")}");
            }

            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var config = ConfigOption.Create();
        var domain = new Option<string?>("--domain") { Description = "Only this domain" };
        var command = new Command("list", "List the certificates currently served.") { domain, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            var only = result.GetValue(domain) is { } d ? EmailAddress.NormalizeDomain(d) : null;
            // Streamed row by row without key data: a directory of a million keys lists in constant memory.
            await foreach (var entry in store.StreamCurrentAsync(only, cancellationToken))
            {
                await Console.Out.WriteLineAsync(
                    $"{entry.Address}\t{entry.Fingerprint}\t{entry.PublishedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}{(entry.Revoked ? "\trevoked" : "")}");
            }

            return 0;
        }));
        return command;
    }
}
