using System.CommandLine;
using Keypost.Core.Addresses;
using Keypost.Directory.Transparency;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Cli.Commands;

/// <summary>`keypost log key --domain D`: the domain's transparency log, as a server operator sees it.</summary>
public static class LogCommands
{
    public static Command Create() => new("log", "The domains' key transparency logs.") { Key(), Compare() };

    /// <summary>Exit code of `log compare` when the two checkpoints prove a fork (as `monitor` uses 3 for an alert).</summary>
    public const int ForkExitCode = 3;

    /// <summary>Exit code of `log compare` when the sizes differ and no consistency proof was given.</summary>
    public const int UnprovenExitCode = 4;

    private static Command Compare()
    {
        var vkey = new Option<string>("--vkey") { Description = "The log's verifier key (keypost log key)", Required = true };
        var first = new Argument<string>("checkpoint-a") { Description = "A signed checkpoint note (file)" };
        var second = new Argument<string>("checkpoint-b") { Description = "Another signed checkpoint note of the same log (file)" };
        var proof = new Option<string?>("--proof") { Description = "A consistency proof from the smaller to the larger size: base64 hashes, one a line" };
        var command = new Command("compare", "Compare two checkpoints of one log, as two clients gossiping: exit 0 consistent, 3 fork, 4 unproven.") { vkey, first, second, proof };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            NoteVerifier key;
            try
            {
                key = NoteVerifier.Parse(result.GetValue(vkey)!.Trim());
            }
            catch (NoteFormatException e)
            {
                throw new CliUsageException("--vkey: " + e.Message);
            }

            var a = await File.ReadAllTextAsync(result.GetValue(first)!, cancellationToken);
            var b = await File.ReadAllTextAsync(result.GetValue(second)!, cancellationToken);
            IReadOnlyList<byte[]>? consistency = null;
            if (result.GetValue(proof) is { } proofFile)
            {
                try
                {
                    consistency = (await File.ReadAllLinesAsync(proofFile, cancellationToken))
                        .Where(l => l.Length > 0)
                        .Select(Convert.FromBase64String)
                        .ToList();
                }
                catch (FormatException)
                {
                    throw new CliException($"{proofFile}: a proof line is not base64");
                }
            }

            (CheckpointComparison Result, string Detail) compared;
            try
            {
                compared = CheckpointComparer.Compare(key, a, b, consistency);
            }
            catch (NoteFormatException e)
            {
                throw new CliException("a checkpoint does not verify: " + e.Message);
            }

            await Console.Out.WriteLineAsync($"{compared.Result.ToString().ToLowerInvariant()}: {compared.Detail}");
            return compared.Result switch
            {
                CheckpointComparison.Fork => ForkExitCode,
                CheckpointComparison.Unproven => UnprovenExitCode,
                _ => 0,
            };
        }));
        return command;
    }

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
