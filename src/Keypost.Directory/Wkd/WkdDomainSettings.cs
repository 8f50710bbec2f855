namespace Keypost.Directory.Wkd;

/// <summary>What a hosted domain publishes beside its keys (draft-koch-openpgp-webkey-service §4.5 and §4.4).</summary>
public sealed record WkdDomainSettings(string Domain, string PolicyText = "", string? SubmissionAddress = null);
