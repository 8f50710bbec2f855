using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using Keypost.Cli.ClientSide;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Accounts;
using Keypost.Directory.Publishing;
using Keypost.Server.Configuration;
using Keypost.Server.Dns;
using Keypost.Server.Hosting;
using Keypost.Server.Tls;

namespace Keypost.Cli.Commands;

/// <summary>
/// `keypost quickstart ADDRESS`: a whole configuration for a real domain (every listener on its standard port,
/// ACME or the operator's certificate), the first account with its password and key pair, the key published, and
/// what to do next: the DNS records, the systemd unit, `keypost check-dns`.
/// </summary>
public static class QuickstartCommand
{
    /// <summary>Let's Encrypt's production directory (RFC 8555 §7.1.1).</summary>
    public const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";

    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "The first account, e.g. you@example.org; its domain is the one set up" };
        var dir = new Option<string>("--dir") { DefaultValueFactory = _ => ".", Description = "Where to write keypost.json, data/ and tls/ (default: the current directory)" };
        var hostname = new Option<string?>("--hostname") { Description = "The mail host's name (default: mail.DOMAIN)" };
        var publicIp = new Option<string[]>("--public-ip") { Description = "This server's public address(es): listeners bind them, and the DNS records name them", AllowMultipleArgumentsPerToken = true };
        var certificate = new Option<string?>("--certificate") { Description = "Use this PEM certificate chain (covering the names printed) instead of ACME" };
        var key = new Option<string?>("--key") { Description = "The PEM private key of --certificate" };
        var acmeDirectory = new Option<string>("--acme-directory") { DefaultValueFactory = _ => LetsEncrypt, Description = "The ACME CA's directory URL" };
        var acmeEmail = new Option<string?>("--acme-email") { Description = "Contact address for the ACME account (default: ADDRESS)" };
        var acmeCa = new Option<string?>("--acme-ca") { Description = "Trust this PEM CA for the ACME server's HTTPS (a test CA)" };
        var home = new Option<string?>("--home") { Description = "The account's client profile and secret key (default: DIR/client; copy it to the user's machine)" };
        var passwordFile = new Option<string?>("--password-file") { Description = "The account's mail password (default: a new random one, printed once)" };
        var passphraseFile = new Option<string?>("--passphrase-file") { Description = "The secret key's passphrase (default: $KEYPOST_PASSPHRASE, else a new random one, printed once)" };
        var command = new Command("quickstart", "Set up a real domain: configuration, first account and key, DNS records, systemd unit.")
        {
            address, dir, hostname, publicIp, certificate, key, acmeDirectory, acmeEmail, acmeCa, home, passwordFile, passphraseFile,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var email = EmailAddress.Parse(result.GetValue(address)!);
            var domain = email.Domain;
            var directory = Path.GetFullPath(result.GetValue(dir)!);
            var configPath = Path.Combine(directory, "keypost.json");
            if (File.Exists(configPath))
            {
                throw new CliException($"{configPath} exists already; quickstart does not overwrite a configuration");
            }

            var host = EmailAddress.NormalizeDomain(result.GetValue(hostname) ?? "mail." + domain);
            var addresses = (result.GetValue(publicIp) ?? []).Select(ParseAddress).ToList();
            var (certificatePath, keyPath) = (result.GetValue(certificate), result.GetValue(key)) switch
            {
                (null, null) => ((string?)null, (string?)null),
                ({ } c, { } k) => (Path.GetFullPath(c), Path.GetFullPath(k)),
                _ => throw new CliUsageException("--certificate and --key go together"),
            };

            System.IO.Directory.CreateDirectory(directory);
            var config = BuildConfig(domain, host, addresses, certificatePath, keyPath, result.GetValue(acmeDirectory)!, result.GetValue(acmeEmail) ?? email.ToString(), result.GetValue(acmeCa));
            if (config.Acme.Enabled)
            {
                // The key is made now so the TLSA record printed below stays true after the CA issues.
                var tls = Path.Combine(directory, "tls");
                TlsKeyFiles.EnsureKey(Path.Combine(tls, "key.pem"));
                TlsKeyFiles.WriteStandIn(Path.Combine(tls, "key.pem"), Path.Combine(tls, "cert.pem"), config.CertificateNames);
            }

            config.Save(configPath);
            var settings = KeypostConfig.Load(configPath);

            // The account, on the server's side: it receives mail and logs in with this password.
            var password = result.GetValue(passwordFile) is { } pf ? FirstLine(pf) : RandomSecret();
            if (password.Length < 8)
            {
                throw new CliException("the password must be at least 8 characters");
            }

            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            await store.SetPasswordHashAsync(email, new PasswordHasher().Hash(password), cancellationToken);

            // The key pair, on the admin's side (a client profile to hand to the user): the server keeps only the
            // public certificate.
            var passphrase = result.GetValue(passphraseFile) is { } qf ? FirstLine(qf)
                : Environment.GetEnvironmentVariable("KEYPOST_PASSPHRASE") ?? RandomSecret();
            var profile = new ClientProfile { Address = email.ToString(), Server = host, SubmissionPort = 587, ImapPort = 993 };
            var profileHome = Path.GetFullPath(result.GetValue(home) ?? Path.Combine(directory, "client"));
            profile.Save(profileHome);
            var secret = new KeyGenerator().Generate(new KeyGenerationRequest(email) { Passphrase = passphrase });
            await using (var stream = new FileStream(profile.SecretKeyPath, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(secret.ToArmored()), cancellationToken);
            }

            await File.WriteAllTextAsync(Path.Combine(profileHome, "certificate.asc"), secret.Certificate.ToArmored(), cancellationToken);
            var published = await new KeyPublisher(store, new CertificatePolicy(), TimeProvider.System)
                .PublishAsync(secret.Certificate.ToBinary(), email, cancellationToken);

            var output = Console.Out;
            await output.WriteLineAsync($"wrote {configPath} (data in {settings.DataDirectory})");
            await output.WriteLineAsync(config.Acme.Enabled
                ? $"TLS: ACME from {config.Acme.DirectoryUrl} for {string.Join(", ", settings.CertificateNames)}; a stand-in certificate serves until it issues"
                : $"TLS: {certificatePath}; it must cover {string.Join(", ", settings.CertificateNames)}");
            await output.WriteLineAsync($"account {email} created; password: {(result.GetValue(passwordFile) is null ? password : "(from " + result.GetValue(passwordFile) + ")")}");
            await output.WriteLineAsync($"key {published.Single().Fingerprint} published for {email}; secret key in {profile.SecretKeyPath}, passphrase: "
                + (result.GetValue(passphraseFile) is null && Environment.GetEnvironmentVariable("KEYPOST_PASSPHRASE") is null ? passphrase : "(as given)"));
            await output.WriteLineAsync("  (the password and passphrase are shown this once; copy the client profile to the user's machine)");
            await output.WriteLineAsync();
            await output.WriteLineAsync($"; DNS records to publish for {domain} (zone-file lines). DANE's TLSA needs a DNSSEC-signed zone.");
            if (addresses.Count == 0)
            {
                await output.WriteLineAsync($"; {host}. IN A <this server's IPv4 address>   (and AAAA for IPv6; or pass --public-ip)");
            }

            var records = await new DomainDnsRecords(settings).GenerateAsync(domain, addresses, email.ToString(), DomainDnsRecords.NewPolicyId(DateTimeOffset.UtcNow), cancellationToken);
            foreach (var record in records)
            {
                await output.WriteLineAsync($"; {record.Purpose}");
                await output.WriteLineAsync(record.ToZoneFileLine());
            }

            await output.WriteLineAsync($"; also ask your hosting provider for a reverse DNS (PTR) record naming {host}.");
            await output.WriteLineAsync();
            await output.WriteLineAsync("# systemd unit (/etc/systemd/system/keypost.service; shipped as contrib/keypost.service):");
            await output.WriteLineAsync(await SystemdUnitAsync(directory));
            await output.WriteLineAsync("# once the records are published, check each one:");
            await output.WriteLineAsync($"keypost check-dns {domain} --config {configPath}");
            return 0;
        }));
        return command;
    }

    private static KeypostConfig BuildConfig(
        string domain, string host, IReadOnlyList<IPAddress> addresses, string? certificatePath, string? keyPath, string acmeDirectory, string acmeEmail, string? acmeCa)
    {
        // Every listener on its standard port: 443 WKD and MTA-STS, 25 inbound SMTP, 587 and 465 submission
        // (RFC 6409, RFC 8314), 143 and 993 IMAP (RFC 9051, RFC 8314), 80 for ACME's http-01 only.
        List<string> On(int port) => addresses.Count == 0 ? [$"0.0.0.0:{port}"] : addresses.Select(a => new IPEndPoint(a, port).ToString()).ToList();
        var acme = certificatePath is null;
        return new KeypostConfig
        {
            DataDirectory = "data",
            Hostname = host,
            Domains = [new DomainConfig { Name = domain }],
            Http = new HttpConfig
            {
                Listen = On(443),
                CertificateFile = acme ? "tls/cert.pem" : certificatePath,
                KeyFile = acme ? "tls/key.pem" : keyPath,
            },
            Mail = new MailConfig
            {
                Inbound = On(25),
                Submission = On(587),
                SubmissionTls = On(465),
                Imap = On(143),
                ImapTls = On(993),
            },
            Metrics = new MetricsConfig { Listen = ["127.0.0.1:9480"] },
            Acme = acme
                ? new AcmeConfig { DirectoryUrl = acmeDirectory, Email = acmeEmail, AcceptTermsOfService = true, ChallengeListen = On(80), DirectoryCaFile = acmeCa is null ? null : Path.GetFullPath(acmeCa) }
                : new AcmeConfig(),
        };
    }

    private static async Task<string> SystemdUnitAsync(string directory)
    {
        await using var resource = typeof(QuickstartCommand).Assembly.GetManifestResourceStream("keypost.service")
            ?? throw new InvalidOperationException("the systemd unit is not embedded");
        using var reader = new StreamReader(resource);
        var unit = await reader.ReadToEndAsync();
        return unit.Replace("@DIR@", directory, StringComparison.Ordinal).Replace("@KEYPOST@", KeypostExecutable(), StringComparison.Ordinal);
    }

    // An installed `keypost` (a single-file or apphost build) runs itself; from source it is `dotnet keypost.dll`.
    private static string KeypostExecutable()
    {
        var process = Environment.ProcessPath ?? "/usr/local/bin/keypost";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? $"{process} {typeof(QuickstartCommand).Assembly.Location}"
            : process;
    }

    private static IPAddress ParseAddress(string text) =>
        IPAddress.TryParse(text, out var address) ? address : throw new CliUsageException($"--public-ip: '{text}' is not an IP address");

    private static string FirstLine(string path) => File.ReadLines(path).FirstOrDefault() ?? "";

    // 20 characters of base32: 100 bits, typeable, no look-alike worries beyond the alphabet.
    private static string RandomSecret() => RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyz23456789", 20);
}
