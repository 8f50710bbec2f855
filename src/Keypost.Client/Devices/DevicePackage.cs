namespace Keypost.Client.Devices;

/// <summary>The key package the first device left for this device: encrypted to it, version counted by the server.</summary>
public sealed record DevicePackage(int Version, byte[] Message);
