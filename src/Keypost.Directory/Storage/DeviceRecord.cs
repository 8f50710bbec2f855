namespace Keypost.Directory.Storage;

/// <summary>One device of an account: its request, its transport certificate and its latest key package.</summary>
/// <param name="Package">Encrypted to the device's transport key by the first device; null while pending or once removed.</param>
/// <param name="PackageVersion">Bumped with every package the first device leaves (approval, then each subkey change).</param>
public sealed record DeviceRecord(
    string Id,
    string Address,
    string Name,
    string Fingerprint,
    byte[] Certificate,
    DeviceState State,
    byte[]? Package,
    int PackageVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
