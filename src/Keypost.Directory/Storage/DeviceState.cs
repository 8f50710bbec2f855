namespace Keypost.Directory.Storage;

/// <summary>Where a device of an account stands (docs/lifecycle.md, "Several devices").</summary>
public enum DeviceState
{
    /// <summary>Filed by the new device, waiting for the first device's approval.</summary>
    Pending,

    /// <summary>The first device left a key package for it.</summary>
    Approved,

    /// <summary>Removed by the first device; it gets nothing more.</summary>
    Removed,
}
