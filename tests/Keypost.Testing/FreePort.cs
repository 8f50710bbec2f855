using System.Net;
using System.Net.Sockets;

namespace Keypost.Testing;

/// <summary>
/// A port for a server whose address must be known before it starts (a configuration file, another process).
/// Servers that can bind port 0 and report what they got should do that instead.
/// </summary>
public static class FreePort
{
    // Below Linux's ephemeral range (32768-60999): the kernel hands out port-0 binds and outgoing connections
    // from that range in sequence, so a port taken from it and released can be given to someone else at once.
    private const int First = 20000;
    private const int Last = 32000;

    public static int Get(IPAddress? address = null)
    {
        var bind = address ?? IPAddress.Loopback;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, Last);
            try
            {
                using var probe = new TcpListener(bind, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException($"no free port between {First} and {Last} on {bind}");
    }
}
