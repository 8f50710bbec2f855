using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Server.Gateway;

/// <summary>
/// What the gateway found for one recipient: a usable certificate, or why there is none; <see cref="IsRefused"/>
/// when a key was offered but its domain's transparency log does not prove it (the submission is refused).
/// </summary>
public sealed record RecipientKey(EmailAddress Address, Certificate? Certificate, string? Problem, bool IsRefused = false)
{
    public static RecipientKey Found(EmailAddress address, Certificate certificate) => new(address, certificate, null);

    public static RecipientKey Missing(EmailAddress address, string problem) => new(address, null, problem);

    public static RecipientKey Refused(EmailAddress address, string problem) => new(address, null, problem, IsRefused: true);
}
