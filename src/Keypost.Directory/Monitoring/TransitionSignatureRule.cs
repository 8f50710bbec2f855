using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Directory.Monitoring;

/// <summary>
/// A rotation: the new key carries a transition certification (<see cref="KeyLifecycle.TransitionNotation"/>, as
/// <c>keypost key rotate</c> writes it) by one of the keys the owner already made. Only the holder of that key's
/// secret part can make one, so the change is the owner's whoever published it. A certification by a key the
/// owner did not make (a forged key certifying the next forgery) proves nothing and is not taken.
/// </summary>
public sealed class TransitionSignatureRule : IOwnChangeRule
{
    public string? Explain(BindingVersion version, OwnerKeys owner)
    {
        if (version.Revoked || owner.Certificates.Count == 0 || !EmailAddress.TryParse(version.Address, out var address, out _))
        {
            return null;
        }

        Certificate next;
        try
        {
            next = Certificate.Parse(version.Certificate);
        }
        catch (OpenPgpException)
        {
            // A row that does not parse is no evidence of anything; the other rules (or an alert) decide.
            return null;
        }

        foreach (var (fingerprint, data) in owner.Certificates)
        {
            if (!owner.Fingerprints.Contains(fingerprint))
            {
                continue;
            }

            try
            {
                if (KeyLifecycle.IsSuccessorOf(next, Certificate.Parse(data), address!))
                {
                    return $"rotation certified by the owner's key {fingerprint}";
                }
            }
            catch (OpenPgpException)
            {
                // An owner's stored certificate that no longer parses certifies nothing.
            }
        }

        return null;
    }
}
