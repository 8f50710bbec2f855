using System.Net;

namespace Keypost.Server.Configuration;

public static class ListenAddress
{
    public static IPEndPoint Parse(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal)
            ? endpoint
            : throw new ConfigException($"'{text}' is not a listen address of the form IP:port");
}
