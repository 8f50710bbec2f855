using Keypost.Core.Addresses;

namespace Keypost.Core.OpenPgp;

/// <summary>What a new key is for; the algorithms come from <see cref="OpenPgpProfile"/>.</summary>
public sealed record KeyGenerationRequest(EmailAddress Address)
{
    /// <summary>Optional name: the user ID becomes <c>Name &lt;addr&gt;</c> instead of the bare address.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Protects the secret key (AES-256, iterated and salted S2K); empty leaves it unprotected.</summary>
    public string Passphrase { get; init; } = "";

    /// <summary>How long the key is valid after creation; null means it never expires.</summary>
    public TimeSpan? Validity { get; init; } = OpenPgpProfile.DefaultValidity;

    /// <summary>Creation time; the current time when null (whole seconds, RFC 4880 §3.5).</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>The user ID text: <c>Name &lt;addr&gt;</c> or the bare address.</summary>
    public string UserId
    {
        get
        {
            if (string.IsNullOrWhiteSpace(DisplayName))
            {
                return Address.ToString();
            }

            if (DisplayName.Any(c => char.IsControl(c) || c is '<' or '>'))
            {
                throw new ArgumentException("the display name must not contain '<', '>' or control characters");
            }

            return $"{DisplayName.Trim()} <{Address}>";
        }
    }
}
