namespace Keypost.Transparency.Witness;

/// <summary>
/// A token bucket per log origin: at most <see cref="Burst"/> checkpoints at once, refilled at
/// <see cref="PerMinute"/> a minute. Zero or less per minute turns the limit off.
/// </summary>
public sealed record LogRateLimit(int PerMinute = 60, int Burst = 10);
