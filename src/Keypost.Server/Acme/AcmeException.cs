namespace Keypost.Server.Acme;

/// <summary>The ACME server refused or failed a step; the message carries its problem document (RFC 8555 §6.7).</summary>
public sealed class AcmeException(string message, string? problemType = null) : Exception(message)
{
    /// <summary>The problem's type, e.g. urn:ietf:params:acme:error:badNonce.</summary>
    public string? ProblemType { get; } = problemType;
}
