namespace Keypost.Directory.Monitoring;

/// <summary>The outcome for one address: alerts to send, and the owner's state to keep once they are sent.</summary>
public sealed record HistoryCheck(OwnerKeys Owner, IReadOnlyList<BindingAlert> Alerts);
