using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Keypost.Server.Configuration;

public static class ListenAddress
{
    public static IPEndPoint Parse(string text) =>
        TryParse(text, out var endpoint)
            ? endpoint
            : throw new ConfigException($"'{text}' is not a listen address of the form IP:port");

    public static bool TryParse(string? text, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        endpoint = null;
        return text is not null && text.Contains(':', StringComparison.Ordinal) && IPEndPoint.TryParse(text, out endpoint);
    }
}
