using System.CommandLine;
using System.Net;
using Keypost.Core.Addresses;
using Keypost.Server.Configuration;
using Keypost.Server.Dns;

namespace Keypost.Cli.Commands;

/// <summary>`keypost check-dns DOMAIN`: asks DNS for every record quickstart and dns-records print, one line each.</summary>
public static class CheckDnsCommand
{
    public static Command Create()
    {
        var config = ConfigOption.Create();
        var domain = new Argument<string>("domain") { Description = "A hosted domain" };
        var dns = new Option<string[]>("--dns") { Description = "Resolvers to ask, IP:port (default: mail.dnsServers, else the system's)", AllowMultipleArgumentsPerToken = true };
        var publicIp = new Option<string[]>("--public-ip") { Description = "Also check that the mail host has these addresses", AllowMultipleArgumentsPerToken = true };
        var command = new Command("check-dns", "Check each DNS record the domain should publish; exit 0 only if every one is right.") { domain, dns, publicIp, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var configPath = ConfigOption.Resolve(result.GetValue(config));
            var settings = KeypostConfig.Load(configPath);
            var name = EmailAddress.NormalizeDomain(result.GetValue(domain)!);
            if (!settings.Domains.Any(d => EmailAddress.NormalizeDomain(d.Name) == name))
            {
                throw new CliException($"{name} is not a domain in {configPath}");
            }

            var servers = (result.GetValue(dns) is { Length: > 0 } given ? given.ToList() : settings.Mail.DnsServers)
                .Select(s => ListenAddress.TryParse(s, out var e) ? e : throw new CliUsageException($"--dns: '{s}' is not IP:port"))
                .ToList();
            var addresses = (result.GetValue(publicIp) ?? [])
                .Select(a => IPAddress.TryParse(a, out var ip) ? ip : throw new CliUsageException($"--public-ip: '{a}' is not an IP address"))
                .ToList();
            // The report address and policy id are the operator's choice: the checker accepts any.
            var expected = await new DomainDnsRecords(settings).GenerateAsync(name, addresses, "postmaster@" + name, "any", cancellationToken);
            var results = await new DnsRecordChecker(servers).CheckAsync(expected, cancellationToken);
            foreach (var line in results)
            {
                await Console.Out.WriteLineAsync(line.ToString());
            }

            var bad = results.Count(r => r.Status != DnsCheckStatus.Ok);
            await Console.Out.WriteLineAsync(bad == 0 ? $"all {results.Count} records of {name} are published" : $"{bad} of {results.Count} records of {name} need attention");
            return bad == 0 ? 0 : 1;
        }));
        return command;
    }
}
