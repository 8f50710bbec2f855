namespace Keypost.Client.Devices;

/// <summary>The server refused a device operation; the message is its RFC 9457 detail.</summary>
public sealed class DeviceException : Exception
{
    public DeviceException()
    {
    }

    public DeviceException(string message)
        : base(message)
    {
    }

    public DeviceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status (0 when none).</summary>
    public int Status { get; init; }
}
