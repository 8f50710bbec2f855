using System.CommandLine;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;

namespace Keypost.Cli.Commands;

/// <summary>
/// `keypost user add|remove|passwd|list|encrypt-at-rest|encrypt-mailbox`: the accounts that log in and receive mail.
/// </summary>
public static class UserCommands
{
    public static Command Create() => new("user", "Manage mail accounts.") { Add(), Passwd(), Remove(), List(), EncryptAtRest(), EncryptMailbox() };

    private static Command EncryptAtRest()
    {
        var config = ConfigOption.Create();
        var address = new Argument<string>("address") { Description = "The account's email address" };
        var state = new Argument<string>("state") { Description = "on: store plaintext mail encrypted to the account's key (the default); off: store it as it arrives" };
        state.AcceptOnlyFromAmong("on", "off");
        var command = new Command("encrypt-at-rest", "Turn encryption at rest on or off for one account (docs/encryption-at-rest.md).") { address, state, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            var email = EmailAddress.Parse(result.GetValue(address)!);
            var on = result.GetValue(state) == "on";
            if (!await store.SetEncryptAtRestAsync(email, on, cancellationToken))
            {
                throw new CliException($"{email} has no account");
            }

            await Console.Out.WriteLineAsync($"encryption at rest {(on ? "on" : "off")} for {email}");
            return 0;
        }));
        return command;
    }

    private static Command EncryptMailbox()
    {
        var config = ConfigOption.Create();
        var address = new Argument<string>("address") { Description = "The account's email address" };
        var folder = new Option<string>("--folder") { Description = "The mailbox to encrypt", DefaultValueFactory = _ => "INBOX" };
        var command = new Command(
            "encrypt-mailbox",
            "Encrypt a mailbox's stored plaintext messages to the account's published key; resumable. Each gets a new UID (printed as OLD NEW); flags and dates are kept.")
        { address, folder, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            var email = EmailAddress.Parse(result.GetValue(address)!);
            var published = await store.FindCurrentAsync(email, cancellationToken);
            if (published is null || published.Revoked)
            {
                throw new CliException($"{email} has no published key to encrypt to");
            }

            var certificate = Keypost.Core.OpenPgp.Certificate.Parse(published.Data);
            await using var dataSource = settings.Storage.IsPostgres ? Npgsql.NpgsqlDataSource.Create(settings.Storage.ConnectionString!) : null;
            var mailStore = dataSource is null
                ? (Keypost.Store.IMailStore)new Keypost.Store.Maildir.MaildirStore(settings.MailDirectory)
                : await Keypost.Store.Postgres.PostgresMailStore.OpenAsync(dataSource, null, cancellationToken);
            await using var closeStore = mailStore as IAsyncDisposable;
            var folders = mailStore.OpenAccount(email);
            var name = result.GetValue(folder)!;
            if (!folders.Exists(name))
            {
                throw new CliException($"{email} has no mailbox {name}");
            }

            var (encrypted, skipped) = await new Keypost.Server.Mail.MailboxEncryption(new Keypost.Core.PgpMime.AtRestEncryptor()).EncryptAsync(folders.Get(name), certificate, cancellationToken);
            foreach (var (old, uid) in encrypted)
            {
                await Console.Out.WriteLineAsync($"{old} {uid}");
            }

            await Console.Error.WriteLineAsync($"{name}: {encrypted.Count} encrypted (new UIDs above, old first), {skipped} already encrypted");
            return 0;
        }));
        return command;
    }

    private static Command Add() => WithPassword("add", "Create an account (a mailbox) with a password.", mustExist: false);

    private static Command Passwd() => WithPassword("passwd", "Set an account's password.", mustExist: true);

    private static Command WithPassword(string name, string description, bool mustExist)
    {
        var config = ConfigOption.Create();
        var address = new Argument<string>("address") { Description = "The account's email address" };
        var passwordFile = new Option<FileInfo?>("--password-file") { Description = "Read the password from this file's first line (default: the first line of standard input)" };
        var command = new Command(name, description) { address, passwordFile, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            var email = EmailAddress.Parse(result.GetValue(address)!);
            var exists = await store.GetPasswordHashAsync(email, cancellationToken) is not null;
            if (exists != mustExist)
            {
                throw new CliException(mustExist ? $"{email} has no account" : $"{email} already has an account (use 'keypost user passwd')");
            }

            var password = result.GetValue(passwordFile) is { } file
                ? (await File.ReadAllLinesAsync(file.FullName, cancellationToken)).FirstOrDefault()
                : await Console.In.ReadLineAsync(cancellationToken);
            if (string.IsNullOrEmpty(password) || password.Length < 8)
            {
                throw new CliException("the password must be at least 8 characters");
            }

            await store.SetPasswordHashAsync(email, new PasswordHasher().Hash(password), cancellationToken);
            await Console.Out.WriteLineAsync(mustExist ? $"password changed for {email}" : $"account {email} created");
            return 0;
        }));
        return command;
    }

    private static Command Remove()
    {
        var config = ConfigOption.Create();
        var address = new Argument<string>("address") { Description = "The account's email address" };
        var command = new Command("remove", "Remove an account: it can no longer log in or receive mail, and its keys stop being served (history is kept).") { address, config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            var email = EmailAddress.Parse(result.GetValue(address)!);
            if (await store.GetPasswordHashAsync(email, cancellationToken) is null)
            {
                throw new CliException($"{email} has no account");
            }

            await store.RemoveAccountAsync(email, cancellationToken);
            await Console.Out.WriteLineAsync($"account {email} removed");
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var config = ConfigOption.Create();
        var command = new Command("list", "List accounts.") { config };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var store = await DirectoryOpener.OpenAsync(settings, cancellationToken);
            foreach (var account in await store.ListAccountsAsync(cancellationToken))
            {
                await Console.Out.WriteLineAsync(account);
            }

            return 0;
        }));
        return command;
    }
}
