using Keypost.Transparency.Lookup;

namespace Keypost.Client.Reading;

/// <summary>What the reader made of the sender's key proof in a message: proved, or why not (never trusted then).</summary>
public sealed record KeyProofResult(bool Proved, string Message, LookupCheck? FailedCheck = null)
{
    public override string ToString() => Message;
}
