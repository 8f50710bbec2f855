using System.Diagnostics.Metrics;

namespace Keypost.Directory.Diagnostics;

/// <summary>
/// In charge of the directory's measurements (meter <see cref="MeterName"/>): WKD lookups by method and HTTP
/// status. One instance per server; an exporter listens by the meter name.
/// </summary>
public sealed class DirectoryMetrics : IDisposable
{
    public const string MeterName = "Keypost.Directory";

    private readonly Meter _meter;
    private readonly Counter<long> _lookups;

    /// <param name="meterFactory">The host's factory (so the meter is disposed with the host); null makes a meter of its own.</param>
    public DirectoryMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _lookups = _meter.CreateCounter<long>("keypost.wkd.lookups", "{lookup}", "WKD key lookups by method and HTTP status");
    }

    public void Lookup(string method, int status) =>
        _lookups.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("status", status));

    public void Dispose() => _meter.Dispose();
}
