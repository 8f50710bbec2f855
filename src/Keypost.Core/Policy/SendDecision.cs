namespace Keypost.Core.Policy;

/// <summary>How one message goes out, and why.</summary>
public enum SendMode
{
    Encrypt,
    SignOnly,
    Refuse,
}

/// <summary>The outcome of applying the recipients' domain policies to what discovery found.</summary>
public sealed record SendDecision(SendMode Mode, IReadOnlyList<string> RecipientsWithoutKey, string Reason);
