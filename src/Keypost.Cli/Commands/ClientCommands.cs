using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Keypost.Cli.ClientSide;
using Keypost.Client.Monitoring;
using Keypost.Client.Sending;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Text;

namespace Keypost.Cli.Commands;

/// <summary>The user's commands: `client init`, `lookup`, `contact`, `send`; the reading ones are in <see cref="ReadingCommands"/>.</summary>
public static class ClientCommands
{
    private static Option<string?> Home() => new("--home") { Description = "The user's Keypost directory (default: $KEYPOST_HOME or ~/.keypost)" };

    private static Option<string?> PasswordFile() => new("--password-file") { Description = "Mail password file (default: $KEYPOST_PASSWORD)" };

    private static Option<bool> Json() => new("--json") { Description = "Write the result as JSON (schema: docs/cli-json.md)" };

    private static Option<string?> PassphraseFile() => new("--passphrase-file") { Description = "Secret key passphrase file (default: $KEYPOST_PASSPHRASE)" };

    public static IEnumerable<Command> Create() => [Init(), Lookup(), Contact(), Send(), Monitor(), .. ReadingCommands.Create()];

    /// <summary>Exit code of `keypost monitor` when the log shows something about your address you did not do.</summary>
    public const int AlertExitCode = 3;

    private static Command Init()
    {
        var home = Home();
        var address = new Option<string>("--address") { Required = true, Description = "Your email address" };
        var server = new Option<string>("--server") { Required = true, Description = "Your mail server (host or IP)" };
        var submission = new Option<int>("--submission-port") { DefaultValueFactory = _ => 587, Description = "Submission port (STARTTLS)" };
        var imap = new Option<int>("--imap-port") { DefaultValueFactory = _ => 993, Description = "IMAP port (implicit TLS)" };
        var ca = new Option<string?>("--ca") { Description = "Trust this CA certificate (PEM) instead of the system store" };
        var dns = new Option<string[]>("--dns") { Description = "DNS servers for WKD lookups (IP:port)", AllowMultipleArgumentsPerToken = true };
        var httpsPort = new Option<int>("--https-port") { DefaultValueFactory = _ => 443, Description = "Port for WKD lookups (443 except on a test bed)" };
        var key = new Option<string?>("--secret-key") { Description = "Use this secret key (armored) instead of generating one" };
        var passphrase = PassphraseFile();
        var name = new Option<string?>("--name") { Description = "Your name for the key's user ID (\"Name <address>\")" };
        var password = PasswordFile();
        var noPublish = new Option<bool>("--no-publish") { Description = "Do not publish the key (by default it is published when the mail password is given)" };
        var command = new Command("init", "Create your profile and key: address, mail server, a new passphrase-protected key; publish it with your mail password.")
        {
            home, address, server, submission, imap, ca, dns, httpsPort, key, passphrase, name, password, noPublish,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var email = EmailAddress.Parse(result.GetValue(address)!);
            var profile = new ClientProfile
            {
                Address = email.ToString(),
                Server = result.GetValue(server)!,
                SubmissionPort = result.GetValue(submission),
                ImapPort = result.GetValue(imap),
                TrustedCaFile = result.GetValue(ca) is { } caPath ? Path.GetFullPath(caPath) : null,
                DnsServers = [.. result.GetValue(dns) ?? []],
                HttpsPort = result.GetValue(httpsPort),
            };
            profile.Save(ClientProfile.ResolveHome(result.GetValue(home)));
            SecretKey secret;
            if (result.GetValue(key) is { } keyPath)
            {
                secret = SecretKey.Parse(await File.ReadAllTextAsync(keyPath, cancellationToken));
            }
            else
            {
                var pass = result.GetValue(passphrase) is { } file ? (await File.ReadAllLinesAsync(file, cancellationToken)).FirstOrDefault() ?? ""
                    : Environment.GetEnvironmentVariable("KEYPOST_PASSPHRASE") ?? throw new CliException("give a passphrase for the new key in $KEYPOST_PASSPHRASE or --passphrase-file");
                secret = new KeyGenerator().Generate(new KeyGenerationRequest(email) { Passphrase = pass, DisplayName = result.GetValue(name) });
            }

            await using (var stream = new FileStream(profile.SecretKeyPath, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(secret.ToArmored()), cancellationToken);
            }

            await File.WriteAllTextAsync(Path.Combine(profile.Home, "certificate.asc"), secret.Certificate.ToArmored(), cancellationToken);
            var mailPassword = result.GetValue(noPublish) ? null : ClientSession.TryMailPassword(result.GetValue(password));
            if (mailPassword is null)
            {
                await Console.Out.WriteLineAsync($"profile for {email} in {profile.Home}; key {secret.Fingerprint} (not published: give the mail password to publish it, or publish {Path.Combine(profile.Home, "certificate.asc")} in your domain's directory)");
                return 0;
            }

            // Issue #12 item 2: the user publishes their own key, authenticated with the account's password over TLS.
            using var session = new ClientSession(profile);
            try
            {
                await session.Publisher.PublishAsync(email, mailPassword, secret.Certificate, cancellationToken);
            }
            catch (Keypost.Client.Publishing.KeyPublishException e)
            {
                throw new CliException(e.Message);
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"publishing to {email.Domain} failed: {e.Message}");
            }

            await Console.Out.WriteLineAsync($"profile for {email} in {profile.Home}; key {secret.Fingerprint} published for {email}");
            return 0;
        }));
        var client = new Command("client", "Set up this machine's Keypost client; add, approve, list and remove your devices.") { command, Witness() };
        foreach (var device in DeviceCommands.Create())
        {
            client.Subcommands.Add(device);
        }

        return client;
    }

    // `keypost monitor`: your own address in your domain's log, against the key this profile holds (issue #11).
    private static Command Monitor()
    {
        var home = Home();
        var command = new Command("monitor", "Check your own address in your domain's transparency log; exit 3 on an alert.") { home };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var address = EmailAddress.Parse(session.Profile.Address);
            var own = SecretKey.Parse(await File.ReadAllTextAsync(session.Profile.SecretKeyPath, cancellationToken)).Fingerprint;
            // The keys this profile made: the current one and those `key rotate` kept beside it (secret-key.<FP>.asc).
            var made = new List<string> { own };
            foreach (var file in System.IO.Directory.EnumerateFiles(session.Profile.Home, "secret-key.*.asc"))
            {
                made.Add(SecretKey.Parse(await File.ReadAllTextAsync(file, cancellationToken)).Fingerprint);
            }

            MonitorReport report;
            try
            {
                report = await session.OwnerMonitor.CheckAsync(address, made, cancellationToken);
            }
            catch (Keypost.Transparency.Lookup.LookupException e)
            {
                await Console.Out.WriteLineAsync($"ALERT transparency check failed: {e.Message}");
                return AlertExitCode;
            }

            foreach (var alert in report.Alerts)
            {
                await Console.Out.WriteLineAsync(alert.ToString());
            }

            if (report.Alerts.Count == 0)
            {
                await Console.Out.WriteLineAsync($"ok: {address} is version {report.Version} with your key {report.Fingerprint} (log size {report.Size}, epoch {report.Epoch})");
            }

            return report.Alerts.Count == 0 ? 0 : AlertExitCode;
        }));
        return command;
    }

    // `keypost client witness add NAME VKEY`: with witnesses trusted, a log's checkpoint needs a quorum of their
    // cosignatures (default 1 of those trusted) before any key it proves is used (docs/transparency.md).
    private static Command Witness()
    {
        var home = Home();
        var name = new Argument<string>("name") { Description = "The witness's name (the vkey's key name)" };
        var vkey = new Argument<string>("vkey") { Description = "The witness's C2SP cosignature vkey (keypost witness key)" };
        var add = new Command("add", "Trust a witness: checkpoints must then be cosigned by a quorum of trusted witnesses.") { name, vkey, home };
        add.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            Keypost.Transparency.Witness.CosignatureVerifier witness;
            try
            {
                witness = Keypost.Transparency.Witness.CosignatureVerifier.Parse(result.GetValue(vkey)!);
            }
            catch (Keypost.Transparency.Notes.NoteFormatException e)
            {
                throw new CliUsageException("vkey: " + e.Message);
            }

            if (witness.Name != result.GetValue(name))
            {
                throw new CliUsageException($"the vkey names '{witness.Name}', not '{result.GetValue(name)}'");
            }

            var profile = ClientProfile.Load(result.GetValue(home));
            await new Keypost.Client.Contacts.LogStore(Path.Combine(profile.Home, "logs.db"), TimeProvider.System).AddWitnessAsync(witness, cancellationToken);
            await Console.Out.WriteLineAsync($"trusting witness {witness.Name} ({witness.KeyId:x8}) for every log");
            return 0;
        }));
        return new Command("witness", "The witnesses you trust to have checked the logs' checkpoints.") { add };
    }

    private static Command Lookup()
    {
        var home = Home();
        var address = new Argument<string>("address") { Description = "Whose key to find" };
        var json = Json();
        var command = new Command("lookup", "Find an address's key by WKD and show how it was verified.") { address, json, home };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var found = await session.Discovery.DiscoverAsync(EmailAddress.Parse(result.GetValue(address)!), cancellationToken);
            if (result.GetValue(json))
            {
                var document = CliJson.Document("lookup");
                document["address"] = found.Address.ToString();
                document["usable"] = found.Usable;
                document["fingerprint"] = found.Certificate?.Fingerprint;
                document["method"] = CliJson.Name(found.Lookup.Method);
                document["url"] = found.Lookup.Url.ToString();
                document["pin"] = found.Pin is { } pin ? CliJson.Name(pin.Outcome) : null;
                document["expires"] = found.Certificate?.ExpiresAt?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                document["explanation"] = DisplayText.Escape(found.Explanation);
                document["userIds"] = CliJson.Array(found.Certificate?.UserIds.Select(u => DisplayText.Escape(u.Text)) ?? []);
                await CliJson.WriteAsync(document);
                return found.Usable ? 0 : 1;
            }

            await Console.Out.WriteLineAsync($"{found.Address}: {found.Explanation}");
            await Console.Out.WriteLineAsync($"  looked up at {found.Lookup.Url}");
            if (found.Log is { } log)
            {
                await Console.Out.WriteLineAsync(
                    $"  proved by the log: size {log.Checkpoint.Size}, epoch {log.Epoch.Epoch} ({log.Epoch.Time:yyyy-MM-dd'T'HH:mm:ss'Z'}), version {log.Binding!.Version}");
            }
            foreach (var uid in found.Certificate?.UserIds ?? [])
            {
                await Console.Out.WriteLineAsync($"  uid {DisplayText.Escape(uid.Text)}");
            }

            return found.Usable ? 0 : 1;
        }));
        return command;
    }

    private static Command Contact()
    {
        var home = Home();
        var address = new Argument<string>("address") { Description = "The contact's address" };
        var fingerprint = new Argument<string>("fingerprint") { Description = "The fingerprint you checked with them" };
        var verify = new Command("verify", "Record a fingerprint you checked out of band (replaces any earlier pin).") { address, fingerprint, home };
        verify.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var text = result.GetValue(fingerprint)!.Replace(" ", "", StringComparison.Ordinal);
            if (text.Length != 40 || !text.All(char.IsAsciiHexDigit))
            {
                throw new CliException("a fingerprint is 40 hexadecimal digits");
            }

            var email = EmailAddress.Parse(result.GetValue(address)!);
            await session.Pins.VerifyAsync(email, text, cancellationToken);
            await Console.Out.WriteLineAsync($"{email}: {text.ToUpperInvariant()} verified by fingerprint");
            return 0;
        }));

        var listHome = Home();
        var listJson = Json();
        var list = new Command("list", "List your contacts' pinned keys.") { listJson, listHome };
        list.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(listHome)));
            if (result.GetValue(listJson))
            {
                var document = CliJson.Document("contacts");
                document["contacts"] = new JsonArray((await session.Pins.ListAsync(cancellationToken)).Select(p => (JsonNode?)new JsonObject
                {
                    ["address"] = p.Address,
                    ["fingerprint"] = p.Fingerprint,
                    ["method"] = CliJson.Name(p.Method),
                    ["firstSeen"] = p.FirstSeen.ToString("O", CultureInfo.InvariantCulture),
                    ["lastVerified"] = p.LastVerified.ToString("O", CultureInfo.InvariantCulture),
                }).ToArray());
                await CliJson.WriteAsync(document);
                return 0;
            }

            foreach (var pin in await session.Pins.ListAsync(cancellationToken))
            {
                await Console.Out.WriteLineAsync($"{pin.Address}\t{pin.Fingerprint}\t{pin.Method}\tfirst seen {pin.FirstSeen:yyyy-MM-dd}\tlast verified {pin.LastVerified:yyyy-MM-dd}");
            }

            return 0;
        }));

        var showHome = Home();
        var showAddress = new Argument<string>("address") { Description = "The contact's address" };
        var show = new Command("show", "Show one contact's pin.") { showAddress, showHome };
        show.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(showHome)));
            var email = EmailAddress.Parse(result.GetValue(showAddress)!);
            var pin = await session.Pins.FindAsync(email, cancellationToken) ?? throw new CliException($"no pin for {email}");
            await Console.Out.WriteLineAsync($"{pin.Address}\n  fingerprint   {pin.Fingerprint}\n  verified by   {pin.Method}\n  first seen    {pin.FirstSeen:O}\n  last verified {pin.LastVerified:O}");
            return 0;
        }));
        return new Command("contact", "Your contacts' keys and how you verified them.") { verify, list, show };
    }

    private static Command Send()
    {
        var home = Home();
        var to = new Option<string[]>("--to") { Required = true, AllowMultipleArgumentsPerToken = true, Description = "Recipients" };
        var subject = new Option<string>("--subject") { Required = true, Description = "The subject (encrypted with the body)" };
        var body = new Option<string?>("--body") { Description = "The text (default: standard input)" };
        var attach = new Option<string[]>("--attach") { Description = "Files to attach", AllowMultipleArgumentsPerToken = true };
        var from = new Option<string?>("--from") { Description = "Your address (default: the profile's)" };
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var json = Json();
        var command = new Command("send", "Encrypt and sign when every recipient has a verified key (as the domain policies say), then submit.")
        {
            from, to, subject, body, attach, json, home, password, passphrase,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var text = result.GetValue(body) ?? await Console.In.ReadToEndAsync(cancellationToken);
            var sender = new MailSender(session.Discovery, session.Policy, session.UnlockKey(result.GetValue(passphrase)), session.Server(result.GetValue(password)), TimeProvider.System);
            try
            {
                var report = await sender.SendAsync(
                    new OutgoingMessage(result.GetValue(from) ?? session.Profile.Address, result.GetValue(to)!, result.GetValue(subject)!, text, result.GetValue(attach)),
                    cancellationToken);
                if (result.GetValue(json))
                {
                    var document = CliJson.Document("send");
                    document["encrypted"] = report.Mode == Core.Policy.SendMode.Encrypt;
                    document["mode"] = CliJson.Name(report.Mode);
                    document["reason"] = DisplayText.Escape(report.Reason);
                    document["messageId"] = report.MessageId;
                    document["keyProof"] = report.KeyProof is { } proof ? DisplayText.Escape(proof) : null;
                    document["recipients"] = new JsonArray(report.Recipients.Select(r => (JsonNode?)new JsonObject
                    {
                        ["address"] = r.Address.ToString(),
                        ["usable"] = r.Usable,
                        ["fingerprint"] = r.Certificate?.Fingerprint,
                        ["explanation"] = DisplayText.Escape(r.Explanation),
                    }).ToArray());
                    await CliJson.WriteAsync(document);
                    return 0;
                }

                foreach (var recipient in report.Recipients)
                {
                    await Console.Out.WriteLineAsync($"{recipient.Address}: {recipient.Explanation}");
                }

                if (report.KeyProof is { } keyProof)
                {
                    await Console.Out.WriteLineAsync(DisplayText.Escape(keyProof));
                }

                await Console.Out.WriteLineAsync(report.Mode == Core.Policy.SendMode.Encrypt
                    ? $"sent encrypted and signed ({report.MessageId})"
                    : $"sent NOT encrypted: {report.Reason} ({report.MessageId})");
                return 0;
            }
            catch (SendRefusedException e)
            {
                throw new CliException("not sent: " + e.Message);
            }
        }));
        return command;
    }
}
