using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Transparency.Lookup;
using MimeKit;

namespace Keypost.Client.Sending;

/// <summary>The sender's side of "proof inside the message" (docs/transparency.md).</summary>
public static class SenderKeyProof
{
    /// <summary>
    /// Adds the log's proof of the sender's own key to <paramref name="message"/> (the composer keeps it in the
    /// encrypted part only), after checking it like any lookup and that the logged key is the one signing.
    /// Returns what to tell the user, or null without a log checker. A proof that cannot be had never stops the
    /// send, but a directory that binds her address to another key is said loudly.
    /// </summary>
    public static async Task<string?> AttachAsync(KeyDiscovery discovery, Certificate sender, MimeMessage message, EmailAddress from, CancellationToken cancellationToken)
    {
        if (await discovery.ProveOwnAsync(from, cancellationToken) is not { } own)
        {
            return null;
        }

        if (own.Outcome != LogOutcome.Proved || own.Proof?.Proof is not { } proof || own.Proof.Binding is not { } binding)
        {
            return $"no proof of your key attached: {own.Message}";
        }

        if (!string.Equals(Convert.ToHexString(binding.Fingerprint), sender.Fingerprint, StringComparison.OrdinalIgnoreCase))
        {
            return $"WARNING: {from.Domain}'s log binds {from} to key {Convert.ToHexString(binding.Fingerprint)} (version {binding.Version}), "
                + $"not to your key {sender.Fingerprint}; no proof attached (run 'keypost monitor')";
        }

        message.Headers.Add(KeyProofHeader.Create(MessageKeyProof.Encode(proof)));
        return $"proof of your key attached (log size {own.Proof.Checkpoint.Size}, epoch {own.Proof.Epoch.Epoch}, version {binding.Version})";
    }
}
