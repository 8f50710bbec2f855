namespace Keypost.Mail.Smtp;

internal enum SmtpPathStatus
{
    Mailbox,

    /// <summary>The null reverse-path &lt;&gt; (RFC 5321 §4.5.5).</summary>
    Null,

    /// <summary>The command is not of the form KEYWORD:&lt;path&gt; [parameters].</summary>
    SyntaxError,

    /// <summary>The brackets are right but what is inside is no mailbox we accept.</summary>
    BadAddress,

    /// <summary>A mailbox at an address literal such as [127.0.0.1], which we never serve nor relay to.</summary>
    AddressLiteral,
}
