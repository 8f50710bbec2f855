namespace Keypost.Server.Configuration;

/// <summary>Per-client (IP address) token bucket for directory lookups; 0 turns limiting off.</summary>
public sealed class RateLimitConfig
{
    public int RequestsPerMinute { get; set; } = 600;

    public int Burst { get; set; } = 60;
}
