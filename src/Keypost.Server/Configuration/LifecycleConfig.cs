namespace Keypost.Server.Configuration;

/// <summary>The server's part in its users' key lifecycle (docs/lifecycle.md).</summary>
public sealed class LifecycleConfig
{
    /// <summary>How often the server looks for keys about to expire and mails their owners; 0 turns it off.</summary>
    public int ExpiryReminderIntervalSeconds { get; set; } = 6 * 3600;

    /// <summary>How many days before a key expires its owner is mailed, once per threshold (issue #12: 30 and 7).</summary>
    public List<int> ExpiryReminderDays { get; set; } = [30, 7];
}
