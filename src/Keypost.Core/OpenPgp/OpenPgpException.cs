namespace Keypost.Core.OpenPgp;

/// <summary>OpenPGP data that Keypost refuses, with a one-line message fit to show a user.</summary>
public sealed class OpenPgpException : Exception
{
    public OpenPgpException(OpenPgpError error, string message)
        : base(message)
    {
        Error = error;
    }

    public OpenPgpException(OpenPgpError error, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    public OpenPgpError Error { get; }
}
