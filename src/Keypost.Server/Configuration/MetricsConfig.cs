namespace Keypost.Server.Configuration;

/// <summary>The operator's plain-HTTP endpoint: /healthz and /metrics (Prometheus text format).</summary>
public sealed class MetricsConfig
{
    /// <summary>
    /// Listen addresses, "IP:port"; empty serves no /metrics. Keep it on loopback or a private network: the numbers
    /// tell an outsider how busy the server is. /healthz is also answered on the HTTPS listeners.
    /// </summary>
    public List<string> Listen { get; set; } = [];
}
