using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Keypost.Core.Addresses;
using Keypost.Mail.Authentication;
using Keypost.Server.Mail;
using Keypost.Server.Configuration;

namespace Keypost.Cli.Commands;

/// <summary>`keypost dns-records DOMAIN`: the MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT and TLSA records a domain must publish.</summary>
public static class DnsRecordsCommand
{
    public static Command Create()
    {
        var config = ConfigOption.Create();
        var domain = new Argument<string>("domain") { Description = "A hosted domain" };
        var command = new Command("dns-records", "Print the DNS records (zone-file lines) to publish for a domain; creates its DKIM keys if needed.") { domain, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var name = EmailAddress.NormalizeDomain(result.GetValue(domain)!);
            if (!settings.Domains.Any(d => EmailAddress.NormalizeDomain(d.Name) == name))
            {
                throw new CliException($"{name} is not a domain in {ConfigOption.Resolve(result.GetValue(config))}");
            }

            await using var dkim = await ConfiguredDkimKeys.OpenAsync(settings, cancellationToken);
            var generator = new DnsRecordsGenerator(dkim.Store);
            // The TLSA record needs the mail certificate; without one configured it is left out. Senders always
            // connect to port 25 (RFC 7672 §2.2.3 names _25._tcp), whatever port Keypost listens on behind a NAT.
            using var certificate = settings.MailCertificateFile is { } file && File.Exists(file)
                ? X509CertificateLoader.LoadCertificateFromFile(file)
                : null;
            foreach (var record in await generator.GenerateAsync(name, settings.Hostname, cancellationToken, settings.MtaStsPublication(), certificate))
            {
                await Console.Out.WriteLineAsync($"; {record.Purpose}");
                await Console.Out.WriteLineAsync(record.ToZoneFileLine());
            }

            return 0;
        }));
        return command;
    }
}
