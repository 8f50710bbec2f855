namespace Keypost.Core.OpenPgp;

/// <summary>One reason a certificate is refused, with a message fit to show its owner.</summary>
public sealed record CertificateProblem(OpenPgpError Error, string Message)
{
    public override string ToString() => Message;
}
