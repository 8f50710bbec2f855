namespace Keypost.Transparency.Lookup;

/// <summary>A lookup proof that failed one check; <see cref="Exception.Message"/> says what was wrong.</summary>
public sealed class LookupException(LookupCheck check, string message) : Exception($"{Describe(check)}: {message}")
{
    public LookupCheck Check { get; } = check;

    public static string Describe(LookupCheck check) => check switch
    {
        LookupCheck.Malformed => "malformed proof",
        LookupCheck.CheckpointSignature => "checkpoint signature",
        LookupCheck.CheckpointOrigin => "checkpoint origin",
        LookupCheck.Rollback => "rollback",
        LookupCheck.Consistency => "log consistency",
        LookupCheck.FutureEpoch => "future epoch",
        LookupCheck.StaleEpoch => "stale epoch",
        LookupCheck.LogInclusion => "log inclusion",
        LookupCheck.VrfProof => "VRF proof",
        LookupCheck.MapProof => "map proof",
        LookupCheck.NotInLog => "not in the log",
        LookupCheck.CertificateMismatch => "certificate differs from the logged one",
        LookupCheck.Revoked => "revoked in the log",
        LookupCheck.WitnessQuorum => "witness quorum",
        LookupCheck.History => "history chain",
        _ => check.ToString(),
    };
}
