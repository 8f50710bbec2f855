using System.CommandLine;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Text;

namespace Keypost.Cli.Commands;

/// <summary>`keypost key generate|show`.</summary>
public static class KeyCommands
{
    public static Command Create() => new("key", "Create and inspect OpenPGP keys; rotate, revoke and extend your own.") { Generate(), Show(), KeyLifecycleCommands.Rotate(), KeyLifecycleCommands.Revoke(), KeyLifecycleCommands.Extend() };

    private static Command Generate()
    {
        var address = new Option<string>("--address", "-a") { Description = "The email address the key is for", Required = true };
        var name = new Option<string?>("--name") { Description = "Display name for the user ID (\"Name <address>\")" };
        var expires = new Option<string>("--expires") { Description = "Validity in days, or 'never'", DefaultValueFactory = _ => "730" };
        var passphraseFile = new Option<FileInfo?>("--passphrase-file") { Description = "Protect the secret key with the passphrase in this file (first line)" };
        var output = new Option<string?>("--out", "-o") { Description = "File name prefix: writes PREFIX.asc (certificate) and PREFIX.secret.asc (default: the address)" };
        var command = new Command("generate", "Generate a v4 Ed25519/Curve25519 key with AES-256 and SHA-512 preferences.")
        {
            address, name, expires, passphraseFile, output,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var email = EmailAddress.Parse(result.GetValue(address)!);
            var validity = ParseValidity(result.GetValue(expires)!);
            var passphrase = result.GetValue(passphraseFile) is { } file
                ? (await File.ReadAllLinesAsync(file.FullName, cancellationToken)).FirstOrDefault() ?? ""
                : "";
            var key = new KeyGenerator().Generate(new KeyGenerationRequest(email)
            {
                DisplayName = result.GetValue(name),
                Passphrase = passphrase,
                Validity = validity,
            });
            var prefix = result.GetValue(output) ?? email.ToString();
            var secretPath = prefix + ".secret.asc";
            await File.WriteAllTextAsync(prefix + ".asc", key.Certificate.ToArmored(), cancellationToken);
            await using (var secret = new FileStream(secretPath, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                await secret.WriteAsync(System.Text.Encoding.ASCII.GetBytes(key.ToArmored()), cancellationToken);
            }

            await Console.Out.WriteLineAsync($"{key.Fingerprint} {DisplayText.Escape(key.Certificate.UserIds[0].Text)}");
            await Console.Out.WriteLineAsync($"certificate: {prefix}.asc");
            await Console.Out.WriteLineAsync($"secret key:  {secretPath}{(passphrase.Length == 0 ? " (not passphrase-protected)" : "")}");
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var file = new Argument<FileInfo>("file") { Description = "A certificate or secret key, binary or armored" };
        var address = new Option<string?>("--address", "-a") { Description = "Also check the key as the directory would for this address" };
        var command = new Command("show", "Show a key's fingerprint, algorithms, validity and user IDs.") { file, address };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var path = result.GetValue(file)!.FullName;
            var data = await File.ReadAllBytesAsync(path, cancellationToken);
            Certificate certificate;
            var kind = "certificate";
            try
            {
                certificate = Certificate.Parse(data, Directory.Publishing.KeyPublisher.MaxInputBytes);
            }
            catch (OpenPgpException e) when (e.Error == OpenPgpError.SecretKeyMaterial)
            {
                certificate = SecretKey.Parse(data).Certificate;
                kind = "secret key";
            }

            var now = DateTimeOffset.UtcNow;
            var output = Console.Out;
            await output.WriteLineAsync($"{kind} {certificate.Fingerprint}");
            await output.WriteLineAsync($"  primary   {certificate.PrimaryAlgorithmName}, created {certificate.CreatedAt:yyyy-MM-dd}, {Validity(certificate.IsRevoked, certificate.ExpiresAt, now)}");
            foreach (var userId in certificate.UserIds)
            {
                var state = !userId.IsValid ? "no valid self-signature" : userId.IsRevoked ? "revoked" : "valid";
                await output.WriteLineAsync($"  uid       {DisplayText.Escape(userId.Text)} ({state})");
            }

            foreach (var subkey in certificate.Subkeys)
            {
                var use = subkey.CanEncrypt ? "encrypt" : "sign/auth";
                var state = !subkey.HasValidBinding ? "no valid binding" : Validity(subkey.IsRevoked, subkey.ExpiresAt, now);
                await output.WriteLineAsync($"  subkey    {subkey.AlgorithmName} {subkey.Fingerprint} ({use}, {state})");
            }

            if (result.GetValue(address) is { } text)
            {
                var problems = new CertificatePolicy().Validate(certificate, EmailAddress.Parse(text), now);
                await output.WriteLineAsync(problems.Count == 0
                    ? $"  policy    acceptable for {text}"
                    : $"  policy    refused for {text}: {string.Join("; ", problems)}");
                return problems.Count == 0 ? 0 : 1;
            }

            return 0;
        }));
        return command;
    }

    private static string Validity(bool revoked, DateTimeOffset? expires, DateTimeOffset now) =>
        revoked ? "REVOKED"
        : expires is null ? "does not expire"
        : expires <= now ? $"EXPIRED {expires:yyyy-MM-dd}"
        : $"expires {expires:yyyy-MM-dd}";

    private static TimeSpan? ParseValidity(string text)
    {
        if (text.Equals("never", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var days) && days > 0
            ? TimeSpan.FromDays(days)
            : throw new CliException($"--expires takes a number of days or 'never', not '{text}'");
    }
}
