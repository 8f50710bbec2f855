namespace Keypost.Transparency.Lookup;

/// <summary>The check a lookup proof failed, named so that a refusal can say which.</summary>
public enum LookupCheck
{
    /// <summary>The proof does not parse (truncated, trailing bytes, bad lengths).</summary>
    Malformed,

    /// <summary>The checkpoint is not signed by the pinned log key.</summary>
    CheckpointSignature,

    /// <summary>The checkpoint names another log.</summary>
    CheckpointOrigin,

    /// <summary>The checkpoint is smaller than the one the client already holds (a rollback).</summary>
    Rollback,

    /// <summary>The checkpoint does not extend the one the client holds.</summary>
    Consistency,

    /// <summary>The epoch lies beyond the checkpoint or its time in the future.</summary>
    FutureEpoch,

    /// <summary>The epoch is not the newest one in the checkpoint.</summary>
    StaleEpoch,

    /// <summary>The epoch's entry is not in the log under the checkpoint.</summary>
    LogInclusion,

    /// <summary>The VRF proof does not verify for this address.</summary>
    VrfProof,

    /// <summary>The prefix-tree proof does not lead to the epoch's map root.</summary>
    MapProof,

    /// <summary>The log holds no binding for this address.</summary>
    NotInLog,

    /// <summary>The logged binding names another certificate than the one served.</summary>
    CertificateMismatch,

    /// <summary>The logged binding is revoked.</summary>
    Revoked,

    /// <summary>The checkpoint is not cosigned by enough of the witnesses the client trusts.</summary>
    WitnessQuorum,

    /// <summary>The history records do not hash forward to the chain the proven binding commits to.</summary>
    History,
}
