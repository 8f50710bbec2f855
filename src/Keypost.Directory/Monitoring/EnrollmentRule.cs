namespace Keypost.Directory.Monitoring;

/// <summary>
/// The first version of an address is its enrollment, taken on trust (trust on first use): nothing earlier exists
/// to compare it with. A forged first key is for the owner's own client to catch (`keypost monitor` compares the
/// log with the key it holds).
/// </summary>
public sealed class EnrollmentRule : IOwnChangeRule
{
    public string? Explain(BindingVersion version, OwnerKeys owner) =>
        version.Version == 1 && owner.Fingerprints.Count == 0 ? "enrollment" : null;
}
