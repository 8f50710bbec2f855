namespace Keypost.Client.Monitoring;

/// <summary>One monitor check: the checkpoint size and epoch examined, the newest version seen, and any alerts.</summary>
public sealed record MonitorReport(long Size, long Epoch, long Version, string Fingerprint, IReadOnlyList<MonitorAlert> Alerts);
