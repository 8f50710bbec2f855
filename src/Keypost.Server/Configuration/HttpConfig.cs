namespace Keypost.Server.Configuration;

public sealed class HttpConfig
{
    /// <summary>HTTPS listen addresses, "IP:port" ("[::1]:443" for IPv6).</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>PEM certificate (chain) covering every domain and openpgpkey.DOMAIN name.</summary>
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>
    /// How long a WKD answer is served from memory before the database is asked again. This node's own publications
    /// reach it at once; this bounds how late one made by another node or a `keypost` command is seen. 0: no cache.
    /// </summary>
    public int WkdCacheSeconds { get; set; } = 5;
}
