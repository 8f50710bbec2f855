namespace Keypost.Interop.Tests.Postfix;

/// <summary>What a private Postfix instance hosts and where it relays.</summary>
public sealed class PostfixOptions
{
    /// <summary>Postfix's myhostname: greetings and its Received lines.</summary>
    public string HostName { get; init; } = "mx.postfix.test";

    /// <summary>The one virtual mailbox domain delivered to Maildirs under the instance's directory.</summary>
    public string MailboxDomain { get; init; } = "postfix.test";

    /// <summary>Local parts of <see cref="MailboxDomain"/> that have a mailbox; any other is refused (550).</summary>
    public IReadOnlyList<string> Mailboxes { get; init; } = [];

    /// <summary>transport_maps entries, e.g. <c>jedi.test → smtp:[127.0.0.1]:2525</c>: relay without DNS.</summary>
    public IReadOnlyDictionary<string, string> Transports { get; init; } = new Dictionary<string, string>();

    /// <summary>PEM certificate and key for smtpd's STARTTLS; null offers no TLS.</summary>
    public string? CertificateFile { get; init; }

    public string? KeyFile { get; init; }
}
