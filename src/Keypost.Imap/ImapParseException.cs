namespace Keypost.Imap;

/// <summary>A command that does not follow the RFC 9051 §9 grammar: answered with tagged BAD.</summary>
internal sealed class ImapParseException : Exception
{
    public ImapParseException()
        : base("syntax error")
    {
    }

    public ImapParseException(string message)
        : base(message)
    {
    }

    public ImapParseException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
