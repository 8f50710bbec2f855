using Keypost.Core.Addresses;
using Keypost.Core.Policy;

namespace Keypost.Core.Tests.Policy;

public sealed class SendPolicyTests
{
    private static readonly SendPolicy Policy = new(new Dictionary<string, EncryptionPolicy>
    {
        ["jedi.test"] = EncryptionPolicy.Require,
        ["rebel.test"] = EncryptionPolicy.Opportunistic,
        ["empire.test"] = EncryptionPolicy.Plaintext,
    });

    private static (EmailAddress, bool) R(string address, bool hasKey) => (EmailAddress.Parse(address), hasKey);

    [Fact]
    public void Everyone_with_keys_is_encrypted()
    {
        Assert.Equal(SendMode.Encrypt, Policy.Decide([R("luke@jedi.test", true), R("han@rebel.test", true)]).Mode);
    }

    [Fact]
    public void Require_refuses_and_names_every_recipient_without_a_key()
    {
        var decision = Policy.Decide([R("luke@jedi.test", true), R("han@rebel.test", false), R("chewie@other.test", false)]);
        Assert.Equal(SendMode.Refuse, decision.Mode);
        Assert.Equal(["han@rebel.test", "chewie@other.test"], decision.RecipientsWithoutKey);
        Assert.Contains("han@rebel.test", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Opportunistic_falls_back_to_signed_mail()
    {
        var decision = Policy.Decide([R("han@rebel.test", true), R("chewie@other.test", false)]);
        Assert.Equal(SendMode.SignOnly, decision.Mode);
        Assert.Equal(["chewie@other.test"], decision.RecipientsWithoutKey);
    }

    [Fact]
    public void Plaintext_domains_get_signed_mail_and_conflicts_are_refused()
    {
        Assert.Equal(SendMode.SignOnly, Policy.Decide([R("vader@empire.test", true)]).Mode);
        Assert.Equal(SendMode.Refuse, Policy.Decide([R("vader@empire.test", true), R("luke@jedi.test", true)]).Mode);
    }
}
