using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Keypost.Cli.ClientSide;
using Keypost.Client.Reading;
using Keypost.Core.Text;

namespace Keypost.Cli.Commands;

/// <summary>
/// The reading commands: `inbox`, `read`, `folders`, `move`. Exit codes: 0 done (read), 1 refused (the message
/// could not be read, with the reason) or an error, 2 usage (no such message or folder, a stale listing).
/// </summary>
public static class ReadingCommands
{
    private static Option<string?> Home() => new("--home") { Description = "The user's Keypost directory (default: $KEYPOST_HOME or ~/.keypost)" };

    private static Option<string?> PasswordFile() => new("--password-file") { Description = "Mail password file (default: $KEYPOST_PASSWORD)" };

    private static Option<string?> PassphraseFile() => new("--passphrase-file") { Description = "Secret key passphrase file (default: $KEYPOST_PASSPHRASE)" };

    private static Option<string> Folder() => new("--folder") { DefaultValueFactory = _ => MailReader.Inbox, Description = "The folder (default: INBOX)" };

    private static Option<bool> Json() => new("--json") { Description = "Write the result as JSON (schema: docs/cli-json.md)" };

    public static IEnumerable<Command> Create() => [Inbox(), Read(), Folders(), Move()];

    private static Command Inbox()
    {
        var home = Home();
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var folder = Folder();
        var json = Json();
        var noLookup = new Option<bool>("--no-lookup") { Description = "Look up no signer key by WKD; verify with the keys already held" };
        var noCache = new Option<bool>("--no-cache") { Description = "Fetch and read every encrypted or signed message again, ignoring the read cache" };
        var command = new Command("inbox", "List a folder, one line per message with its own state; never fails because of one message.")
        {
            folder, json, noLookup, noCache, home, password, passphrase,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var signers = await session.SignerKeysAsync(!result.GetValue(noLookup), cancellationToken);
            var key = session.UnlockKey(result.GetValue(passphrase));
            var reader = new MailReader(key, session.Server(result.GetValue(password)), signers)
            {
                EarlierKeys = session.UnlockEarlierKeys(result.GetValue(passphrase)),
                Cache = result.GetValue(noCache) ? null : new ReadCache(session.Profile.ReadCachePath, key),
            };
            var name = result.GetValue(folder)!;
            var listing = await Translate(() => reader.ListAsync(name, new StderrProgress(), cancellationToken));
            await session.Listed.RecordAsync(listing.Folder, listing.UidValidity, cancellationToken);
            if (result.GetValue(json))
            {
                var document = CliJson.Document("inbox");
                document["folder"] = listing.Folder;
                document["uidValidity"] = listing.UidValidity;
                document["messages"] = new JsonArray(listing.Messages.Select(m => (JsonNode?)Summary(m)).ToArray());
                document["junk"] = listing.JunkCount;
                document["notes"] = CliJson.Array(signers.Notes.Select(n => DisplayText.Escape(n)));
                await CliJson.WriteAsync(document);
                return 0;
            }

            foreach (var message in listing.Messages)
            {
                await Console.Out.WriteLineAsync($"{message.Uid}\t{Label(message)}\t{message.DisplayFrom}\t{message.DisplaySubject}\t{message.Explanation}");
            }

            foreach (var note in signers.Notes)
            {
                await Console.Error.WriteLineAsync("keypost: " + DisplayText.Escape(note));
            }

            if (listing.JunkCount is > 0 and var junk)
            {
                await Console.Out.WriteLineAsync($"-- Junk holds {junk} message(s) (unverified encrypted mail is filed there): keypost inbox --folder Junk");
            }

            return 0;
        }));
        return command;
    }

    private static Command Read()
    {
        var home = Home();
        var id = new Argument<string>("id") { Description = "The message's id as 'keypost inbox' shows it (UID, or UIDVALIDITY:UID)" };
        var password = PasswordFile();
        var passphrase = PassphraseFile();
        var folder = Folder();
        var json = Json();
        var command = new Command("read", "Fetch, decrypt and show one message, with who signed it. Exit 1 when it is refused.")
        {
            id, folder, json, home, password, passphrase,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var name = result.GetValue(folder)!;
            var (validity, uid) = await ParseIdAsync(session, name, result.GetValue(id)!, cancellationToken);
            // Opening one message never looks a key up: that would tell the sender's domain it was opened.
            var signers = await session.SignerKeysAsync(lookups: false, cancellationToken);
            var server = session.Server(result.GetValue(password));
            // The key is unlocked (S2K, and the OpenPGP code's first use) while the message is fetched.
            var unlock = Task.Run(() => session.UnlockKey(result.GetValue(passphrase)), cancellationToken);
            var (fetched, location) = await Translate(() => new MailReader(null, server, signers).FetchAsync(name, uid, validity, new StderrProgress(), cancellationToken));
            var message = await new MailReader(await unlock, server, signers) { SenderProofs = session.SenderProofs, EarlierKeys = session.UnlockEarlierKeys(result.GetValue(passphrase)) }.EvaluateAsync(fetched, location, -1, mayLookUp: false, cancellationToken);
            if (result.GetValue(json))
            {
                var document = CliJson.Document("message");
                foreach (var (key, value) in Summary(message).ToList())
                {
                    document[key] = value?.DeepClone();
                }

                document["warnings"] = CliJson.Array(message.Result?.Warnings.Select(w => DisplayText.Escape(w)) ?? []);
                document["disclaimer"] = message.Result?.DisplayDisclaimer;
                document["text"] = message.IsRefused ? null : message.Text;
                document["attachments"] = new JsonArray((message.Result?.Attachments ?? []).Select(a => (JsonNode?)new JsonObject
                {
                    ["fileName"] = a.DisplayFileName,
                    ["contentType"] = DisplayText.Escape(a.ContentType),
                    ["openPgpData"] = a.IsOpenPgpData,
                }).ToArray());
                await CliJson.WriteAsync(document);
                return message.IsRefused ? 1 : 0;
            }

            if (message.IsRefused)
            {
                await Console.Error.WriteLineAsync($"keypost: message {message.Uid} {message.Explanation}");
                return 1;
            }

            await Console.Out.WriteLineAsync($"From: {message.DisplayFrom}");
            await Console.Out.WriteLineAsync($"Subject: {message.DisplaySubject}");
            await Console.Out.WriteLineAsync($"[{message.Explanation}]");
            if (message.KeyProof is { } keyProof)
            {
                await Console.Out.WriteLineAsync($"[{DisplayText.Escape(keyProof.Message)}]");
            }
            foreach (var warning in message.Result?.Warnings ?? [])
            {
                await Console.Out.WriteLineAsync($"[warning: {DisplayText.Escape(warning)}]");
            }

            if (message.Result?.DisplayDisclaimer is { } disclaimer)
            {
                await Console.Out.WriteLineAsync($"[added by the sending server, NOT encrypted or signed: {disclaimer}]");
            }

            await Console.Out.WriteLineAsync();
            // The sender chose these bytes: escape each line, so no control or bidi character reaches the terminal.
            foreach (var line in message.Text.ReplaceLineEndings("\n").Split('\n'))
            {
                await Console.Out.WriteLineAsync(DisplayText.Escape(line));
            }

            foreach (var attachment in message.Result?.Attachments ?? [])
            {
                var warning = attachment.IsOpenPgpData ? " - OpenPGP data outside the encrypted message, NOT decrypted" : "";
                await Console.Out.WriteLineAsync($"[attachment: {attachment.DisplayFileName} ({DisplayText.Escape(attachment.ContentType)}){warning}]");
            }

            return 0;
        }));
        return command;
    }

    private static Command Folders()
    {
        var home = Home();
        var password = PasswordFile();
        var json = Json();
        var command = new Command("folders", "List your folders with their message counts.") { json, home, password };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var reader = new MailReader(null, session.Server(result.GetValue(password)), new SignerKeys(KnownSignerKeys.InMemory(), null, null, TimeProvider.System));
            var folders = await reader.FoldersAsync(cancellationToken);
            if (result.GetValue(json))
            {
                var document = CliJson.Document("folders");
                document["folders"] = new JsonArray(folders.Select(f => (JsonNode?)new JsonObject
                {
                    ["name"] = f.Name, ["messages"] = f.Messages, ["unread"] = f.Unread, ["junk"] = f.IsJunk,
                }).ToArray());
                await CliJson.WriteAsync(document);
                return 0;
            }

            foreach (var folder in folders)
            {
                await Console.Out.WriteLineAsync($"{folder.Name}\t{folder.Messages} messages\t{folder.Unread} unread{(folder.IsJunk ? "\t(junk)" : "")}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Move()
    {
        var home = Home();
        var id = new Argument<string>("id") { Description = "The message's id as 'keypost inbox' shows it" };
        var target = new Argument<string>("target") { Description = "The folder to move it to" };
        var folder = Folder();
        var password = PasswordFile();
        var command = new Command("move", "Move one message to another folder (e.g. out of Junk).") { id, target, folder, home, password };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            using var session = new ClientSession(ClientProfile.Load(result.GetValue(home)));
            var name = result.GetValue(folder)!;
            var (validity, uid) = await ParseIdAsync(session, name, result.GetValue(id)!, cancellationToken);
            var reader = new MailReader(null, session.Server(result.GetValue(password)), new SignerKeys(KnownSignerKeys.InMemory(), null, null, TimeProvider.System));
            var moved = await Translate(() => reader.MoveAsync(name, uid, validity, result.GetValue(target)!, cancellationToken));
            await Console.Out.WriteLineAsync(moved is null
                ? $"moved {uid} to {DisplayText.Escape(result.GetValue(target)!)}"
                : $"moved {uid} to {DisplayText.Escape(moved.Folder)} as {moved.Uid}");
            return 0;
        }));
        return command;
    }

    internal static JsonObject Summary(ReadMessage message) => new()
    {
        ["id"] = message.Uid.ToString(CultureInfo.InvariantCulture),
        ["uid"] = message.Uid,
        ["uidValidity"] = message.Location.UidValidity,
        ["folder"] = message.Location.Folder,
        ["state"] = CliJson.Name(message.State),
        ["refusal"] = message.Refusal is { } refusal ? CliJson.Name(refusal) : null,
        ["explanation"] = message.Explanation,
        ["from"] = message.DisplayFrom,
        ["subject"] = message.DisplaySubject,
        ["date"] = message.Date?.ToString("O", CultureInfo.InvariantCulture),
        ["size"] = message.Size >= 0 ? message.Size : null,
        ["encrypted"] = message.Encrypted,
        ["headersProtected"] = message.HeadersProtected,
        ["keyProof"] = message.KeyProof is { } proof ? new JsonObject
        {
            ["proved"] = proof.Proved,
            ["message"] = DisplayText.Escape(proof.Message),
        } : null,
        ["signature"] = message.Signature is { } s ? new JsonObject
        {
            ["status"] = CliJson.Name(s.Status),
            ["valid"] = s.IsValid,
            ["signer"] = s.SignerAddress,
            ["fingerprint"] = s.SignerFingerprint,
            ["keyId"] = s.SignerKeyId,
        } : null,
    };

    private static string Label(ReadMessage message) => message.State switch
    {
        ReadState.EncryptedAndVerified => "encrypted+verified",
        ReadState.EncryptedUnsigned => "encrypted,unsigned",
        ReadState.EncryptedSignatureNotVerified => "encrypted,SIGNATURE-NOT-VERIFIED",
        ReadState.SignedOnly => "signed-only",
        ReadState.SignatureNotVerified => "SIGNATURE-NOT-VERIFIED",
        ReadState.Plain => "plain",
        _ => "REFUSED:" + (message.Refusal?.ToString().ToLowerInvariant() ?? "malformed"),
    };

    // "UID" uses the UIDVALIDITY the folder was last listed with; "UIDVALIDITY:UID" names it.
    private static async Task<(uint? Validity, uint Uid)> ParseIdAsync(ClientSession session, string folder, string text, CancellationToken cancellationToken)
    {
        var parts = text.Split(':');
        if (parts.Length == 1 && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid > 0)
        {
            return (await session.Listed.FindAsync(folder, cancellationToken), uid);
        }

        if (parts.Length == 2
            && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
            && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uid) && uid > 0)
        {
            return (validity, uid);
        }

        throw new CliUsageException($"'{DisplayText.Escape(text)}' is not a message id (a UID as 'keypost inbox' shows it, or UIDVALIDITY:UID)");
    }

    private static async Task<T> Translate<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is StaleListingException or NoSuchMessageException)
        {
            throw new CliUsageException(e.Message);
        }
    }
}
