using System.Net;
using System.Net.Sockets;

namespace Keypost.Testing;

public static class FreePort
{
    /// <summary>A TCP port the kernel just had free on <paramref name="address"/> (loopback by default).</summary>
    public static int Get(IPAddress? address = null)
    {
        using var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
