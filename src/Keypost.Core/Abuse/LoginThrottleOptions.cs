namespace Keypost.Core.Abuse;

/// <summary>
/// Limits of a <see cref="LoginThrottle"/>, after Postfix's anvil and its smtpd_client_auth_rate_limit: failures
/// are counted per client address and per account over <see cref="Window"/>, across all sessions and protocols.
/// </summary>
public sealed class LoginThrottleOptions
{
    /// <summary>How long a failure counts; the count starts again after a quiet window.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The pause before answering the first failure; it doubles with each further failure.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest pause before answering a failure.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Failures from one address within <see cref="Window"/> before that address is blocked.</summary>
    public int AddressBlockThreshold { get; init; } = 10;

    /// <summary>How long a blocked address gets a temporary refusal without its password being checked.</summary>
    public TimeSpan BlockDuration { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Addresses and accounts remembered at most, so a flood of sources cannot grow memory without bound.</summary>
    public int MaxEntries { get; init; } = 100_000;
}
