using Keypost.Fuzz.Targets;

namespace Keypost.Fuzz;

/// <summary>
/// Every harness by name. A harness that needs resources (a loopback listener, a mailbox, an in-memory web host)
/// is made only when asked for and disposed with this object.
/// </summary>
public sealed class FuzzTargets : IDisposable
{
    private static readonly string[] ImapCommands = ["search", "fetch", "store", "append", "list", "mailbox"];

    private readonly List<IDisposable> _owned = [];
    private readonly Dictionary<string, FuzzTarget> _made = new(StringComparer.Ordinal);
    private ImapSessionHarness? _imap;

    public static IReadOnlyList<string> Names { get; } =
    [
        "smtp-path", "smtp-session", "data-intake",
        "imap-tokenizer", "imap-session", "imap-search", "imap-fetch", "imap-store", "imap-append", "imap-list", "imap-mailbox",
        "fetch-writer", "wkd-routing", "openpgp-packets", "pgpmime-reader", "spf-record", "dmarc-record", "dkim-record",
        "transparency-decoders",
    ];

    public FuzzTarget Get(string name)
    {
        if (!_made.TryGetValue(name, out var target))
        {
            target = Make(name);
            _made[name] = target;
        }

        return target;
    }

    private FuzzTarget Make(string name)
    {
        switch (name)
        {
            case "smtp-path":
                return new(name, "MAIL FROM / RCPT TO argument and address parser", SmtpPathTarget.Run);
            case "smtp-session":
                return new(name, "a whole inbound SMTP session after EHLO", Own(new SmtpSessionHarness()).Run);
            case "data-intake":
                return new(name, "MIME parse, DKIM/SPF/DMARC evaluation and stamping of inbound DATA", new DataIntakeTarget().Run);
            case "imap-tokenizer":
                return new(name, "IMAP tokenizer, sequence sets, SEARCH and FETCH grammars without a session", ImapTokenizerTarget.Run);
            case "imap-session":
                return new(name, "a whole IMAP session after LOGIN and SELECT: any commands", input => Imap().Run("", input));
            case "fetch-writer":
                return new(name, "FETCH response writer and content SEARCH over the input as a stored message", FetchWriterTarget.Run);
            case "wkd-routing":
                return new(name, "WKD guard, routes and fallback on an in-memory web host", Own(new WkdRoutingHarness()).Run);
            case "openpgp-packets":
                return new(name, "OpenPGP packet scanning, certificate and secret key import", OpenPgpTarget.Run);
            case "pgpmime-reader":
                return new(name, "PGP/MIME reader with a fixed test key", new PgpMimeReaderTarget().Run);
            case "spf-record":
                return new(name, "SPF record parser and check_host() evaluation", DnsRecordTargets.Spf);
            case "dmarc-record":
                return new(name, "DMARC record parser and evaluation", DnsRecordTargets.Dmarc);
            case "dkim-record":
                return new(name, "DKIM key record lookup and DKIM-Signature verification", DnsRecordTargets.Dkim);
            case "transparency-decoders":
                return new(name, "lookup proof, message key proof, cosigned checkpoint, add-checkpoint and epoch entry decoders and verifiers", TransparencyDecodersTarget.Run);
        }

        var command = name.StartsWith("imap-", StringComparison.Ordinal) ? name["imap-".Length..] : null;
        if (command is not null && ImapCommands.Contains(command))
        {
            // One command of the session with the input as its arguments; "mailbox" exercises mailbox names.
            var prefix = command switch
            {
                "search" => "a SEARCH ",
                "fetch" => "a UID FETCH ",
                "store" => "a STORE ",
                "append" => "a APPEND ",
                "list" => "a LIST ",
                _ => "a CREATE ",
            };
            return new(name, "IMAP " + command.ToUpperInvariant() + " arguments inside a session", input => Imap().Run(prefix, input));
        }

        throw new ArgumentException("unknown fuzz target " + name + "; known: " + string.Join(", ", Names), nameof(name));
    }

    private ImapSessionHarness Imap() => _imap ??= Own(new ImapSessionHarness());

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }
}
