using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Server.Gateway;

/// <summary>What the gateway found for one recipient: a usable certificate, or why there is none.</summary>
public sealed record RecipientKey(EmailAddress Address, Certificate? Certificate, string? Problem)
{
    public static RecipientKey Found(EmailAddress address, Certificate certificate) => new(address, certificate, null);

    public static RecipientKey Missing(EmailAddress address, string problem) => new(address, null, problem);
}
