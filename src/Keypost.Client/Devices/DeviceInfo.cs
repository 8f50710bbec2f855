namespace Keypost.Client.Devices;

/// <summary>One device of the account as the server lists it.</summary>
/// <param name="State">"pending", "approved" or "removed".</param>
/// <param name="Certificate">The device's transport certificate (binary), when asked for one device.</param>
public sealed record DeviceInfo(string Id, string Name, string Fingerprint, string State, int PackageVersion, string Created, byte[]? Certificate);
