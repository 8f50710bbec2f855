using System.Net;
using System.Net.Sockets;
using Keypost.LocalServe;

namespace Keypost.Server.Tests.LocalServe;

public sealed class LocalPortsTests
{
    [Fact]
    public void A_bind_to_a_taken_port_is_recognised_and_other_errors_are_not()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        var refused = Assert.Throws<SocketException>(() => second.Bind(new IPEndPoint(IPAddress.Loopback, taken)));

        Assert.True(LocalPorts.IsAddressInUse(refused));
        Assert.True(LocalPorts.IsAddressInUse(new IOException("Failed to bind", new AggregateException(refused))));
        Assert.False(LocalPorts.IsAddressInUse(new SocketException((int)SocketError.AccessDenied)));
        Assert.False(LocalPorts.IsAddressInUse(new InvalidOperationException("invalid configuration")));
    }
}
