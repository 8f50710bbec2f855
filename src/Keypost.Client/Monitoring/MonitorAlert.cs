namespace Keypost.Client.Monitoring;

/// <summary>Something in the owner's own binding he did not do: which version, in which epoch, with which key.</summary>
public sealed record MonitorAlert(long Version, long Epoch, string Fingerprint, string Reason)
{
    public override string ToString() => $"ALERT version {Version}, epoch {Epoch}, fingerprint {(Fingerprint.Length == 0 ? "-" : Fingerprint)}: {Reason}";
}
