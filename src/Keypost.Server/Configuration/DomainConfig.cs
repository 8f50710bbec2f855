namespace Keypost.Server.Configuration;

public sealed class DomainConfig
{
    public string Name { get; set; } = "";

    /// <summary>The WKD policy file's text (draft-koch-openpgp-webkey-service §4.5); served even when empty.</summary>
    public string WkdPolicy { get; set; } = "";

    /// <summary>Where WKS submissions go (§4.4); not served when unset.</summary>
    public string? SubmissionAddress { get; set; }
}
