namespace Keypost.Directory.Monitoring;

/// <summary>
/// One way a new binding version can be shown to be the owner's own change. The monitor asks its rules in order;
/// a version no rule claims is an alert to the owner. New ways to change a binding (rotation, devices) add a rule.
/// </summary>
public interface IOwnChangeRule
{
    /// <summary>Why <paramref name="version"/> is the owner's own change, or null when this rule cannot say so.</summary>
    string? Explain(BindingVersion version, OwnerKeys owner);
}
