namespace Keypost.Server.Configuration;

public sealed class HttpConfig
{
    /// <summary>HTTPS listen addresses, "IP:port" ("[::1]:443" for IPv6).</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>PEM certificate (chain) covering every domain and openpgpkey.DOMAIN name.</summary>
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }
}
