using Keypost.Core.Addresses;

namespace Keypost.Core.Policy;

/// <summary>
/// Decides encrypt, sign-only or refuse for a message from each recipient domain's policy. One message is
/// either encrypted to everyone or to no one: a partly encrypted conversation leaks through the replies.
/// </summary>
public sealed class SendPolicy(IReadOnlyDictionary<string, EncryptionPolicy> domains, EncryptionPolicy fallback = EncryptionPolicy.Opportunistic)
{
    public EncryptionPolicy For(string domain) => domains.TryGetValue(domain, out var policy) ? policy : fallback;

    /// <param name="recipients">Each recipient and whether it has a verified key.</param>
    public SendDecision Decide(IReadOnlyList<(EmailAddress Address, bool HasVerifiedKey)> recipients)
    {
        var missing = recipients.Where(r => !r.HasVerifiedKey).Select(r => r.Address.ToString()).ToList();
        var policies = recipients.Select(r => For(r.Address.Domain)).ToHashSet();
        if (policies.Contains(EncryptionPolicy.Require))
        {
            // Every copy of the message is the same: if one recipient's domain requires encryption, everyone
            // must be encryptable, or the required recipient's words go out in the clear to the others.
            if (missing.Count > 0)
            {
                return new SendDecision(SendMode.Refuse, missing, $"policy requires encryption, but there is no verified key for: {string.Join(", ", missing)}");
            }

            return policies.Contains(EncryptionPolicy.Plaintext)
                ? new SendDecision(SendMode.Refuse, [], "one recipient's domain requires encryption and another's forbids it")
                : new SendDecision(SendMode.Encrypt, [], "every recipient has a verified key");
        }

        if (policies.Contains(EncryptionPolicy.Plaintext))
        {
            return new SendDecision(SendMode.SignOnly, missing, "a recipient's domain policy is plaintext");
        }

        return missing.Count == 0
            ? new SendDecision(SendMode.Encrypt, [], "every recipient has a verified key")
            : new SendDecision(SendMode.SignOnly, missing, $"no verified key for: {string.Join(", ", missing)}; sending signed over TLS");
    }
}
