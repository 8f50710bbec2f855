using System.Net;
using System.Net.Sockets;

namespace Keypost.Cli.Demo;

/// <summary>
/// The same port numbers on every demo address, as real domains all use 443, 25, 587 and 993; the demo picks
/// free high ports instead so it runs without root.
/// </summary>
public sealed record DemoPorts(int Https, int Smtp, int Submission, int Imaps)
{
    public static DemoPorts FindFree(IReadOnlyList<IPAddress> addresses) =>
        new(Free(addresses), Free(addresses), Free(addresses), Free(addresses));

    private static int Free(IReadOnlyList<IPAddress> addresses)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var first = new TcpListener(addresses[0], 0);
            first.Start();
            var port = ((IPEndPoint)first.LocalEndpoint).Port;
            if (addresses.Skip(1).All(a => IsFree(a, port)))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no port is free on every demo address");
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var probe = new TcpListener(address, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
