namespace Keypost.Mail.Dkim;

/// <summary>The DKIM key record could not be had: temporarily (DNS failure) or permanently (absent, malformed, revoked).</summary>
public sealed class DkimKeyLookupException(string message, bool isTemporary) : Exception(message)
{
    public bool IsTemporary { get; } = isTemporary;
}
