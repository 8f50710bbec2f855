namespace Keypost.Imap;

/// <summary>A command line longer than the configured limit: the session answers BAD and closes.</summary>
internal sealed class ImapLineTooLongException : Exception
{
    public ImapLineTooLongException()
        : base("command line too long")
    {
    }

    public ImapLineTooLongException(string message)
        : base(message)
    {
    }

    public ImapLineTooLongException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
