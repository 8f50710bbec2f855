namespace Keypost.Directory.Monitoring;

/// <summary>A logged version of an owner's binding that no rule showed to be his own change.</summary>
public sealed record BindingAlert(string Address, long Version, long Epoch, string Fingerprint, bool Revoked, string PublishedAt)
{
    public override string ToString() =>
        $"version {Version} of {Address}, logged in epoch {Epoch} (published {PublishedAt}): " +
        (Revoked ? $"a revocation of key {Fingerprint}, which is not a key you made" : $"key {Fingerprint}, which is not a key you made");
}
