using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;

namespace Keypost.Transparency.Witness;

/// <summary>
/// A client's witness policy for one log: the witnesses it trusts (by vkey) and how many must have cosigned a
/// checkpoint before it is believed. A split view needs every one of those witnesses to be fooled or to collude.
/// </summary>
public sealed class CosignatureQuorum
{
    private readonly IReadOnlyList<CosignatureVerifier> _witnesses;

    public CosignatureQuorum(IReadOnlyList<CosignatureVerifier> witnesses, int required)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(required);
        if (required > witnesses.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(required), $"a quorum of {required} needs at least {required} trusted witnesses");
        }

        _witnesses = witnesses;
        Required = required;
    }

    public int Required { get; }

    /// <summary>The default policy: one of the configured witnesses (none configured, none required).</summary>
    public static CosignatureQuorum Default(IReadOnlyList<CosignatureVerifier> witnesses) => new(witnesses, Math.Min(1, witnesses.Count));

    /// <summary>
    /// The names of the trusted witnesses whose cosignature on <paramref name="note"/> verifies; throws
    /// <see cref="LookupException"/> (witness quorum) when fewer than <see cref="Required"/>. C2SP tlog-cosignature:
    /// verifiers may reject timestamps in the future; we ignore those beyond the clock skew a lookup allows.
    /// </summary>
    public IReadOnlyList<string> Check(SignedNote note, DateTimeOffset now)
    {
        var latest = (now + LookupVerifier.ClockSkew).ToUnixTimeSeconds();
        var cosigned = _witnesses
            .Where(w => w.FindValid(note.Text, note.Signatures) is { } time && time <= latest)
            .Select(w => w.Name)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (cosigned.Count < Required)
        {
            var trusted = string.Join(", ", _witnesses.Select(w => w.Name));
            throw new LookupException(LookupCheck.WitnessQuorum,
                $"the checkpoint is cosigned by {cosigned.Count} of the trusted witnesses ({trusted}); {Required} required");
        }

        return cosigned;
    }
}
