namespace Keypost.Mail.Dkim;

/// <summary>The selector names a domain's two DKIM keys are published under (<c>&lt;selector&gt;._domainkey.&lt;domain&gt;</c>).</summary>
public sealed record DkimSelectors(string Ed25519 = "kp-ed", string Rsa = "kp-rsa")
{
    public static DkimSelectors Default { get; } = new();
}
