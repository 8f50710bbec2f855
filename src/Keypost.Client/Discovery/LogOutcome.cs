namespace Keypost.Client.Discovery;

/// <summary>What the domain's transparency log said about a WKD key.</summary>
public enum LogOutcome
{
    /// <summary>Every check passed: the key is the newest one the log binds to the address.</summary>
    Proved,

    /// <summary>The domain publishes no log.</summary>
    NoLog,

    /// <summary>A check failed; <see cref="LogCheckResult.Message"/> names it. Nothing was stored.</summary>
    Failed,
}
