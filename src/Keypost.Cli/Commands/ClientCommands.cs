using System.CommandLine;
using Keypost.Cli.ClientSide;
using Keypost.Client.Reading;
using Keypost.Client.Sending;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Text;

namespace Keypost.Cli.Commands;

/// <summary>The user's commands: `client init`, `lookup`, `contact`, `send`, `inbox`, `read`.</summary>
public static class ClientCommands
{
    private static Option<string?> Home() => new("--home") { Description = "The user's Keypost directory (default: $KEYPOST_HOME or ~/.keypost)" };

    private static Option<string?> PasswordFile() => new("--password-file") { Description = "Mail password file (default: $KEYPOST_PASSWORD)" };

    private static Option<string?> PassphraseFile() => new("--passphrase-file") { Description = "Secret key passphrase file (default: $KEYPOST_PASSPHRASE)" };

    public static IEnumerable<Command> Create() => [Init(), Lookup(), Contact(), Send(), Inbox(), Read()];

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
        var command = new Command("init", "Create your profile and key: address, mail server, a new passphrase-protected key.")
        {
            home, address, server, submission, imap, ca, dns, httpsPort, key, passphrase,
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
                secret = new KeyGenerator().Generate(new KeyGenerationRequest(email) { Passphrase = pass });
            }

            await using (var stream = new FileStream(profile.SecretKeyPath, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(secret.ToArmored()), cancellationToken);
            }

            await File.WriteAllTextAsync(Path.Combine(profile.Home, "certificate.asc"), secret.Certificate.ToArmored(), cancellationToken);
            await Console.Out.WriteLineAsync($"profile for {email} in {profile.Home}; key {secret.Fingerprint} (publish {Path.Combine(profile.Home, "certificate.asc")} in your domain's directory)");
            return 0;
        }));
        return new Command("client", "Set up this machine's Keypost client.") { command };
    }

    private static Command Lookup()
    {
        var home = Home();
        var address = new Argument<string>("address") { Description = "Whose key to find" };
        var command = new Command("lookup", "Find an address's key by WKD and show how it was verified.") { address, home };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var found = await session.Discovery.DiscoverAsync(EmailAddress.Parse(result.GetValue(address)!), cancellationToken);
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
        var list = new Command("list", "List your contacts' pinned keys.") { listHome };
        list.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(listHome)));
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
        var command = new Command("send", "Encrypt and sign when every recipient has a verified key (as the domain policies say), then submit.")
        {
            from, to, subject, body, attach, home, password, passphrase,
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
                foreach (var recipient in report.Recipients)
                {
                    await Console.Out.WriteLineAsync($"{recipient.Address}: {recipient.Explanation}");
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

    private static Command Inbox()
    {
        var home = Home();
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var command = new Command("inbox", "List your inbox over IMAP, with each message's encryption and signature state.") { home, password, passphrase };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var reader = new MailReader(session.Discovery, session.UnlockKey(result.GetValue(passphrase)), session.Server(result.GetValue(password)));
            foreach (var message in await reader.ReadInboxAsync(cancellationToken))
            {
                await Console.Out.WriteLineAsync($"{message.Uid}\t{Describe(message)}\t{message.Result.DisplayFrom}\t{message.Result.DisplaySubject}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Read()
    {
        var home = Home();
        var uid = new Argument<uint>("id") { Description = "The message's id, as 'keypost inbox' shows it" };
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var command = new Command("read", "Decrypt and show one message, with who signed it and how their key was verified.") { uid, home, password, passphrase };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var reader = new MailReader(session.Discovery, session.UnlockKey(result.GetValue(passphrase)), session.Server(result.GetValue(password)));
            var message = (await reader.ReadInboxAsync(cancellationToken)).FirstOrDefault(m => m.Uid == result.GetValue(uid))
                ?? throw new CliException($"no message {result.GetValue(uid)} in the inbox");
            await Console.Out.WriteLineAsync($"From: {message.Result.DisplayFrom}");
            await Console.Out.WriteLineAsync($"Subject: {message.Result.DisplaySubject}");
            await Console.Out.WriteLineAsync($"[{Describe(message)}]");
            foreach (var warning in message.Result.Warnings)
            {
                await Console.Out.WriteLineAsync($"[warning: {DisplayText.Escape(warning)}]");
            }

            await Console.Out.WriteLineAsync();
            // The sender chose these bytes: escape each line, so no control or bidi character reaches the terminal.
            foreach (var line in message.Text.ReplaceLineEndings("\n").Split('\n'))
            {
                await Console.Out.WriteLineAsync(DisplayText.Escape(line));
            }

            foreach (var attachment in message.Result.Attachments)
            {
                await Console.Out.WriteLineAsync($"[attachment: {attachment.DisplayFileName} ({attachment.ContentType})]");
            }

            return 0;
        }));
        return command;
    }

    private static string Describe(ReadMessage message)
    {
        var encryption = message.Result.Encryption.IsEncrypted ? "encrypted" : "not encrypted";
        var signature = message.Result.Signature;
        var signed = signature.IsValid
            ? $"signed by {signature.SignerAddress}, key {signature.SignerFingerprint} verified by WKD and your pin"
            : signature.Status == Core.PgpMime.PgpMimeSignatureStatus.Unsigned ? "not signed" : $"signature NOT valid: {DisplayText.Escape(signature.Reason ?? signature.Status.ToString())}";
        return $"{encryption}, {signed}";
    }
}
