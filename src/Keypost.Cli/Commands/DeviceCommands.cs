using System.CommandLine;
using System.Globalization;
using Keypost.Cli.ClientSide;
using Keypost.Client.Devices;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;
using Keypost.Core.Text;

namespace Keypost.Cli.Commands;

/// <summary>
/// `keypost client add-device|approve-device|remove-device|devices` (issue #12 item 6, docs/lifecycle.md "Several
/// devices"). The first device holds the primary key and approves; every device holds its own transport key and,
/// once approved, the address's shared encryption subkey; removing a device replaces that subkey for the rest.
/// </summary>
public static class DeviceCommands
{
    private static Option<string?> Home() => new("--home") { Description = "The user's Keypost directory (default: $KEYPOST_HOME or ~/.keypost)" };

    private static Option<string?> PasswordFile() => new("--password-file") { Description = "Mail password file (default: $KEYPOST_PASSWORD)" };

    private static Option<string?> PassphraseFile() => new("--passphrase-file") { Description = "Secret key passphrase file (default: $KEYPOST_PASSPHRASE)" };

    public static IEnumerable<Command> Create() => [AddDevice(), ApproveDevice(), RemoveDevice(), Devices()];

    private static Command AddDevice()
    {
        var home = Home();
        var address = new Option<string?>("--address") { Description = "Your email address (when this device has no profile yet)" };
        var server = new Option<string?>("--server") { Description = "Your mail server (host or IP; when this device has no profile yet)" };
        var submission = new Option<int>("--submission-port") { DefaultValueFactory = _ => 587, Description = "Submission port (STARTTLS)" };
        var imap = new Option<int>("--imap-port") { DefaultValueFactory = _ => 993, Description = "IMAP port (implicit TLS)" };
        var ca = new Option<string?>("--ca") { Description = "Trust this CA certificate (PEM) instead of the system store" };
        var dns = new Option<string[]>("--dns") { Description = "DNS servers for WKD lookups (IP:port)", AllowMultipleArgumentsPerToken = true };
        var httpsPort = new Option<int>("--https-port") { DefaultValueFactory = _ => 443, Description = "Port for WKD lookups (443 except on a test bed)" };
        var name = new Option<string>("--name") { DefaultValueFactory = _ => "device", Description = "A name for this device (\"phone\")" };
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var command = new Command(
            "add-device",
            "On a new device: make its own key and ask to join your address; run it again once your first device approved it (and after any device change) to install the address's key.")
        {
            home, address, server, submission, imap, ca, dns, httpsPort, name, password, passphrase,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var directory = ClientProfile.ResolveHome(result.GetValue(home));
            ClientProfile profile;
            if (File.Exists(Path.Combine(directory, "profile.json")))
            {
                profile = ClientProfile.Load(directory);
            }
            else
            {
                var email = EmailAddress.Parse(result.GetValue(address) ?? throw new CliUsageException("this device has no profile yet: give --address and --server"));
                profile = new ClientProfile
                {
                    Address = email.ToString(),
                    Server = result.GetValue(server) ?? throw new CliUsageException("this device has no profile yet: give --address and --server"),
                    SubmissionPort = result.GetValue(submission),
                    ImapPort = result.GetValue(imap),
                    TrustedCaFile = result.GetValue(ca) is { } caPath ? Path.GetFullPath(caPath) : null,
                    DnsServers = [.. result.GetValue(dns) ?? []],
                    HttpsPort = result.GetValue(httpsPort),
                };
                profile.Save(directory);
            }

            var me = EmailAddress.Parse(profile.Address);
            var device = DeviceProfile.Load(profile.DevicePath);
            if (device is null && File.Exists(profile.SecretKeyPath))
            {
                throw new CliException($"this profile already holds the key of {me} (it is your first device); run add-device on the new device, with its own --home");
            }

            using var session = new ClientSession(profile);
            var devices = session.Devices(ClientSession.MailPassword(result.GetValue(password)));
            var pass = ClientSession.Passphrase(result.GetValue(passphrase));
            if (device is null)
            {
                // The device's own key: its secret never leaves this machine; the first device encrypts to it.
                var deviceName = result.GetValue(name)!;
                var own = new KeyGenerator().Generate(new KeyGenerationRequest(me) { Passphrase = pass, DisplayName = deviceName + " (Keypost device)" });
                await KeyLifecycleCommands.WriteSecretAsync(profile.DeviceKeyPath, own, cancellationToken);
                var filed = await DeviceCall(() => devices.RequestAsync(own.Certificate.ToBinary(), deviceName, cancellationToken));
                await new DeviceProfile { Id = filed.Id, Name = deviceName }.SaveAsync(profile.DevicePath, cancellationToken);
                await Console.Out.WriteLineAsync($"device request {filed.Id} filed for {me} (device key {own.Fingerprint})");
                await Console.Out.WriteLineAsync($"approve it on your first device: keypost client approve-device {filed.Id}; then run keypost client add-device here again");
                return 0;
            }

            DevicePackage package;
            try
            {
                package = await devices.GetPackageAsync(device.Id, cancellationToken);
            }
            catch (DeviceException e) when (e.Status == 409)
            {
                await Console.Out.WriteLineAsync($"device request {device.Id} for {me} is waiting for approval: run keypost client approve-device {device.Id} on your first device");
                return 0;
            }
            catch (DeviceException e) when (e.Status == 410)
            {
                throw new CliException($"this device ({device.Id}) was removed from {me}; it receives no new key");
            }
            catch (DeviceException e)
            {
                throw new CliException(e.Message);
            }

            if (package.Version <= device.PackageVersion && File.Exists(profile.SecretKeyPath))
            {
                await Console.Out.WriteLineAsync($"device {device.Id} of {me}: the key is up to date");
                return 0;
            }

            var installed = await OpenPackageAsync(session, me, package, pass, cancellationToken);
            await KeyLifecycleCommands.WriteSecretAsync(profile.SecretKeyPath, installed, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(profile.Home, "certificate.asc"), installed.Certificate.ToArmored(), cancellationToken);
            device.PackageVersion = package.Version;
            await device.SaveAsync(profile.DevicePath, cancellationToken);
            var subkeys = string.Join(", ", installed.Certificate.EncryptionSubkeys(DateTimeOffset.UtcNow).Select(s => s.Fingerprint));
            await Console.Out.WriteLineAsync($"device {device.Id} of {me}: key {installed.Fingerprint} installed (encryption subkey {subkeys})");
            return 0;
        }));
        return command;
    }

    private static Command ApproveDevice()
    {
        var home = Home();
        var id = new Argument<string>("id") { Description = "The device request's id (add-device printed it)" };
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var command = new Command("approve-device", "On your first device: let a new device read your mail (publishes the new device list, then sends it the key).") { id, home, password, passphrase };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var me = EmailAddress.Parse(session.Profile.Address);
            var secret = await FirstDeviceKeyAsync(session, me, "approve", cancellationToken);
            var mailPassword = ClientSession.MailPassword(result.GetValue(password));
            var devices = session.Devices(mailPassword);
            var requestId = result.GetValue(id)!;
            var device = await DeviceCall(() => devices.GetAsync(requestId, cancellationToken));
            if (device.State == "removed")
            {
                throw new CliException($"device {device.Id} of {me} was removed; a removed device cannot be approved again (add it anew)");
            }

            var transport = TransportCertificate(device, me);
            var pass = ClientSession.Passphrase(result.GetValue(passphrase));
            var now = DateTimeOffset.UtcNow;
            var entry = device.Id + " " + transport.Fingerprint;
            var roster = DeviceKeys.Roster(secret.Certificate, now);
            if (!roster.Contains(entry))
            {
                // The device list is part of the certificate, so an approval is a new version in the log.
                secret = Unlocking(() => DeviceKeys.WithRoster(secret, pass, [.. roster, entry], now));
                await KeyLifecycleCommands.PublishAsync(session, me, result.GetValue(password), secret.Certificate, cancellationToken);
                await KeyLifecycleCommands.WriteSecretAsync(session.Profile.SecretKeyPath, secret, cancellationToken);
                await File.WriteAllTextAsync(Path.Combine(session.Profile.Home, "certificate.asc"), secret.Certificate.ToArmored(), cancellationToken);
            }

            var sent = await SendPackageAsync(devices, device.Id, transport, secret, pass, cancellationToken);
            await Console.Out.WriteLineAsync($"device {device.Id} ({DisplayText.Escape(device.Name)}, key {transport.Fingerprint}) approved for {me}; package {sent.PackageVersion} left for it");
            await Console.Out.WriteLineAsync("it installs the key on its next keypost client add-device");
            return 0;
        }));
        return command;
    }

    private static Command RemoveDevice()
    {
        var home = Home();
        var id = new Argument<string>("id") { Description = "The device's id (keypost client devices lists them)" };
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var command = new Command(
            "remove-device",
            "On your first device: remove a device; a new encryption key is published and sent only to the devices that remain, so the removed one cannot read new mail.")
        {
            id, home, password, passphrase,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var me = EmailAddress.Parse(session.Profile.Address);
            var secret = await FirstDeviceKeyAsync(session, me, "remove", cancellationToken);
            var devices = session.Devices(ClientSession.MailPassword(result.GetValue(password)));
            var removedId = result.GetValue(id)!;
            var device = await DeviceCall(() => devices.GetAsync(removedId, cancellationToken));
            if (device.State == "removed")
            {
                throw new CliException($"device {device.Id} of {me} is already removed");
            }

            var now = DateTimeOffset.UtcNow;
            var entryPrefix = device.Id + " ";
            if (device.State == "pending" && !DeviceKeys.Roster(secret.Certificate, now).Any(e => e.StartsWith(entryPrefix, StringComparison.Ordinal)))
            {
                // Never approved: it holds no key, so withdrawing the request is all there is to do.
                await DeviceCall(() => devices.RemoveAsync(device.Id, cancellationToken));
                await Console.Out.WriteLineAsync($"device request {device.Id} ({DisplayText.Escape(device.Name)}) of {me} withdrawn; it was never approved, so the key is unchanged");
                return 0;
            }

            var pass = ClientSession.Passphrase(result.GetValue(passphrase));
            var roster = DeviceKeys.Roster(secret.Certificate, now).Where(e => !e.StartsWith(entryPrefix, StringComparison.Ordinal)).ToList();

            // Publish first: until the new subkey is out, nothing else changes. The removed device never gets it.
            secret = Unlocking(() => DeviceKeys.ReplaceEncryptionSubkey(secret, pass, roster, now));
            await KeyLifecycleCommands.PublishAsync(session, me, result.GetValue(password), secret.Certificate, cancellationToken);
            await KeyLifecycleCommands.WriteSecretAsync(session.Profile.SecretKeyPath, secret, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(session.Profile.Home, "certificate.asc"), secret.Certificate.ToArmored(), cancellationToken);
            await DeviceCall(() => devices.RemoveAsync(device.Id, cancellationToken));
            var remaining = (await DeviceCall(() => devices.ListAsync(cancellationToken))).Where(d => d.State == "approved").ToList();
            foreach (var other in remaining)
            {
                var full = await DeviceCall(() => devices.GetAsync(other.Id, cancellationToken));
                await SendPackageAsync(devices, other.Id, TransportCertificate(full, me), secret, pass, cancellationToken);
            }

            var subkey = secret.Certificate.EncryptionSubkeys(now).Single();
            await Console.Out.WriteLineAsync($"device {device.Id} ({DisplayText.Escape(device.Name)}) removed from {me}; new encryption subkey {subkey.Fingerprint} published");
            await Console.Out.WriteLineAsync($"sent to the {remaining.Count} remaining device(s): {(remaining.Count == 0 ? "none" : string.Join(", ", remaining.Select(d => d.Id)))} (each installs it on its next keypost client add-device)");
            return 0;
        }));
        return command;
    }

    private static Command Devices()
    {
        var home = Home();
        var password = PasswordFile();
        var command = new Command("devices", "List your address's devices and their state.") { home, password };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var me = EmailAddress.Parse(session.Profile.Address);
            var thisDevice = DeviceProfile.Load(session.Profile.DevicePath);
            var list = await DeviceCall(() => session.Devices(ClientSession.MailPassword(result.GetValue(password))).ListAsync(cancellationToken));
            if (thisDevice is null && File.Exists(session.Profile.SecretKeyPath)
                && DeviceKeys.HoldsPrimary(SecretKey.Parse(await File.ReadAllTextAsync(session.Profile.SecretKeyPath, cancellationToken))))
            {
                await Console.Out.WriteLineAsync($"first device (this one): holds the primary key of {me}");
            }

            foreach (var device in list)
            {
                var mark = thisDevice?.Id == device.Id ? " (this device)" : "";
                await Console.Out.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{device.Id}\t{device.State}\t{DisplayText.Escape(device.Name)}\t{device.Fingerprint}\tsince {device.Created}{mark}"));
            }

            if (list.Count == 0)
            {
                await Console.Out.WriteLineAsync($"no other device for {me}");
            }

            return 0;
        }));
        return command;
    }

    private static async Task<SecretKey> FirstDeviceKeyAsync(ClientSession session, EmailAddress me, string verb, CancellationToken cancellationToken)
    {
        if (!File.Exists(session.Profile.SecretKeyPath))
        {
            throw new CliException($"no secret key at {session.Profile.SecretKeyPath}: only your first device can {verb} devices");
        }

        var secret = SecretKey.Parse(await File.ReadAllTextAsync(session.Profile.SecretKeyPath, cancellationToken));
        if (!DeviceKeys.HoldsPrimary(secret))
        {
            throw new CliException($"this profile does not hold the primary key of {me}: only your first device can {verb} devices");
        }

        return secret;
    }

    private static Certificate TransportCertificate(DeviceInfo device, EmailAddress me)
    {
        var transport = Certificate.Parse(device.Certificate ?? throw new CliException($"the server sent no key for device {device.Id}"));
        if (transport.Fingerprint != device.Fingerprint || !transport.HasUserIdFor(me))
        {
            throw new CliException($"device {device.Id}'s key {transport.Fingerprint} is not a device key of {me}");
        }

        return transport;
    }

    // The package: the key without its primary secret, encrypted to the device's own key and signed by the primary
    // key, so the device accepts only what the address's published key signed.
    private static async Task<DeviceInfo> SendPackageAsync(DeviceClient devices, string id, Certificate transport, SecretKey secret, string pass, CancellationToken cancellationToken)
    {
        var plain = Unlocking(() => DeviceKeys.ExportForDevice(secret, pass));
        using var message = new MemoryStream();
        await new StreamingOpenPgp().EncryptAsync(new MemoryStream(plain), message, [transport], secret.Unlock(pass), armor: true, cancellationToken);
        return await DeviceCall(() => devices.PutPackageAsync(id, message.ToArray(), cancellationToken));
    }

    private static async Task<SecretKey> OpenPackageAsync(ClientSession session, EmailAddress me, DevicePackage package, string pass, CancellationToken cancellationToken)
    {
        var own = SecretKey.Parse(await File.ReadAllTextAsync(session.Profile.DeviceKeyPath, cancellationToken));
        // The address's key as everyone sees it (WKD, checked against the log and the pin): the package must be
        // signed by it and carry the same key.
        var found = await session.Discovery.DiscoverAsync(me, cancellationToken);
        if (!found.Usable || found.Certificate is null)
        {
            throw new CliException($"cannot verify the key of {me}: {found.Explanation}");
        }

        var published = found.Certificate;
        using var plain = new MemoryStream();
        StreamDecryption opened;
        try
        {
            opened = await new StreamingOpenPgp().DecryptAsync(
                new MemoryStream(package.Message), plain, [Unlocking(() => own.Unlock(pass))], k => k == published.KeyId ? published : null, cancellationToken);
        }
        catch (OpenPgpException e)
        {
            throw new CliException("the key package cannot be opened: " + e.Message);
        }

        if (!opened.Signature.IsValid || opened.Signature.SignerFingerprint != published.Fingerprint)
        {
            throw new CliException($"the key package is not signed by {me}'s published key {published.Fingerprint}; not installed");
        }

        var installed = Unlocking(() => DeviceKeys.ImportOnDevice(plain.ToArray(), pass));
        var current = published.EncryptionSubkeys(DateTimeOffset.UtcNow).Select(s => s.Fingerprint).ToHashSet(StringComparer.Ordinal);
        if (installed.Fingerprint != published.Fingerprint || !installed.Certificate.Subkeys.Any(s => current.Contains(s.Fingerprint)))
        {
            throw new CliException($"the key package does not carry {me}'s published encryption key; not installed");
        }

        if (found.Log?.Binding is { } binding)
        {
            // The device starts watching the address at the version it has just verified against the log: the
            // versions before it joined are its owner's history, not news to it (`keypost monitor`).
            await session.Logs.SaveMonitoredVersionAsync(me.Canonical, binding.Version, cancellationToken);
        }

        return installed;
    }

    private static T Unlocking<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (OpenPgpException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static async Task<T> DeviceCall<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (DeviceException e)
        {
            throw new CliException(e.Message);
        }
        catch (HttpRequestException e)
        {
            throw new CliException("the device service could not be reached: " + e.Message);
        }
    }
}
