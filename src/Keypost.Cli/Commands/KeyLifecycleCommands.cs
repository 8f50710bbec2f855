using System.CommandLine;
using Keypost.Cli.ClientSide;
using Keypost.Client.Publishing;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Cli.Commands;

/// <summary>
/// `keypost key rotate|revoke|extend`: the owner's changes to their own key (docs/lifecycle.md). Each publishes
/// over the authenticated HTTPS channel, so each is a new version of the address in the transparency log.
/// </summary>
public static class KeyLifecycleCommands
{
    private static Option<string?> Home() => new("--home") { Description = "The user's Keypost directory (default: $KEYPOST_HOME or ~/.keypost)" };

    private static Option<string?> PasswordFile() => new("--password-file") { Description = "Mail password file (default: $KEYPOST_PASSWORD)" };

    private static Option<string?> PassphraseFile() => new("--passphrase-file") { Description = "Secret key passphrase file (default: $KEYPOST_PASSPHRASE)" };

    public static Command Rotate()
    {
        var home = Home();
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var noTransition = new Option<bool>("--no-transition") { Description = "Do not certify the new key with the old one (senders then see a changed key)" };
        var command = new Command("rotate", "Make a new key, certify it with the old one (transition signature) and publish it.") { home, password, passphrase, noTransition };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var address = EmailAddress.Parse(session.Profile.Address);
            var pass = ClientSession.Passphrase(result.GetValue(passphrase));
            var old = SecretKey.Parse(await File.ReadAllTextAsync(session.Profile.SecretKeyPath, cancellationToken));
            var unlocked = old.Unlock(old.IsProtected ? pass : "");
            var name = old.Certificate.UserIdsFor(address).FirstOrDefault()?.Text is { } text && text.IndexOf(" <", StringComparison.Ordinal) is > 0 and var cut
                ? text[..cut]
                : null;
            var next = new KeyGenerator().Generate(new KeyGenerationRequest(address) { Passphrase = pass, DisplayName = name });
            var published = result.GetValue(noTransition)
                ? next.Certificate
                : KeyLifecycle.CertifySuccessor(unlocked, next.Certificate, address, DateTimeOffset.UtcNow);
            await PublishAsync(session, address, result.GetValue(password), published, cancellationToken);

            // The old secret key stays beside the new one, so mail encrypted to it can still be read.
            await WriteSecretAsync(Path.Combine(session.Profile.Home, $"secret-key.{old.Fingerprint}.asc"), old, cancellationToken);
            await WriteSecretAsync(session.Profile.SecretKeyPath, next, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(session.Profile.Home, "certificate.asc"), published.ToArmored(), cancellationToken);
            await Console.Out.WriteLineAsync(result.GetValue(noTransition)
                ? $"new key {next.Fingerprint} published for {address} without a transition signature (replaces {old.Fingerprint})"
                : $"new key {next.Fingerprint} published for {address}, certified by the old key {old.Fingerprint}");
            return 0;
        }));
        return command;
    }

    public static Command Revoke()
    {
        var home = Home();
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var reason = new Option<string?>("--reason") { Description = "Why the key is revoked (shown to holders of the key)" };
        var command = new Command("revoke", "Revoke your key and publish the revocation; senders stop encrypting to it.") { home, password, passphrase, reason };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var address = EmailAddress.Parse(session.Profile.Address);
            var unlocked = session.UnlockKey(result.GetValue(passphrase));
            var revoked = KeyLifecycle.Revoke(unlocked, result.GetValue(reason), superseded: false, DateTimeOffset.UtcNow);
            // Recorded before publishing: `keypost monitor` alerts on any revocation of this address this profile did not make.
            await session.OwnerMonitor.RecordOwnRevocationAsync(address, revoked.Fingerprint, cancellationToken);
            await PublishAsync(session, address, result.GetValue(password), revoked, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(session.Profile.Home, "certificate.asc"), revoked.ToArmored(), cancellationToken);
            await Console.Out.WriteLineAsync($"key {revoked.Fingerprint} revoked; the revocation is published for {address}");
            return 0;
        }));
        return command;
    }

    public static Command Extend()
    {
        var home = Home();
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var days = new Option<string>("--expires") { Description = "New validity from today in days, or 'never'", DefaultValueFactory = _ => "730" };
        var command = new Command("extend", "Extend your key's validity (same key, new self-signatures) and publish it.") { home, password, passphrase, days };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var address = EmailAddress.Parse(session.Profile.Address);
            var text = result.GetValue(days)!;
            TimeSpan? validity = text == "never" ? null
                : int.TryParse(text, out var d) && d > 0 ? TimeSpan.FromDays(d)
                : throw new CliUsageException($"--expires: '{text}' is not a number of days or 'never'");
            var secret = SecretKey.Parse(await File.ReadAllTextAsync(session.Profile.SecretKeyPath, cancellationToken));
            var pass = secret.IsProtected ? ClientSession.Passphrase(result.GetValue(passphrase)) : "";
            var extended = KeyLifecycle.Extend(secret, pass, validity, DateTimeOffset.UtcNow);
            await PublishAsync(session, address, result.GetValue(password), extended.Certificate, cancellationToken);
            await WriteSecretAsync(session.Profile.SecretKeyPath, extended, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(session.Profile.Home, "certificate.asc"), extended.Certificate.ToArmored(), cancellationToken);
            await Console.Out.WriteLineAsync($"key {extended.Fingerprint} now valid until {(extended.Certificate.ExpiresAt is { } e ? e.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "never")}; published for {address}");
            return 0;
        }));
        return command;
    }

    internal static async Task PublishAsync(ClientSession session, EmailAddress address, string? passwordFile, Certificate certificate, CancellationToken cancellationToken)
    {
        try
        {
            await session.Publisher.PublishAsync(address, ClientSession.MailPassword(passwordFile), certificate, cancellationToken);
        }
        catch (KeyPublishException e)
        {
            throw new CliException(e.Message);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"publishing to {address.Domain} failed: {e.Message}");
        }
    }

    internal static async Task WriteSecretAsync(string path, SecretKey key, CancellationToken cancellationToken)
    {
        var temporary = path + ".new";
        await using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(key.ToArmored()), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
