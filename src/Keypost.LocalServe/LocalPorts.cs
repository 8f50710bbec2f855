using System.Net;
using System.Net.Sockets;

namespace Keypost.LocalServe;

/// <summary>
/// The same port numbers on every local address, as real domains all use 443, 25, 587 and 993; a one-machine bed
/// picks free high ports instead so it runs without root.
/// </summary>
public sealed record LocalPorts(int Https, int Smtp, int Submission, int Imaps)
{
    public static LocalPorts FindFree(IReadOnlyList<IPAddress> addresses) =>
        new(Free(addresses), Free(addresses), Free(addresses), Free(addresses));

    /// <summary>One port number free on every one of <paramref name="addresses"/>.</summary>
    // Below Linux's ephemeral range (32768-60999), where port-0 binds and outgoing connections take their
    // ports: a port found free there could be handed to someone else before the bed binds it.
    public static int Free(IReadOnlyList<IPAddress> addresses)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            if (addresses.All(a => IsFree(a, port)))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no port is free on every local address");
    }

    /// <summary>
    /// Whether <paramref name="error"/> (or one inside it) is a bind refused because the port is taken: a port
    /// found free by <see cref="Free"/> can still be bound by another process before its owner binds it.
    /// </summary>
    public static bool IsAddressInUse(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
                || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsAddressInUse))
            {
                return true;
            }
        }

        return false;
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
