using Keypost.Client.Contacts;
using Keypost.Client.Monitoring;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.Testing;

namespace Keypost.Server.Tests.Transparency;

/// <summary>Issue #11 (b): the operator logs a forged key for Luke; Luke's monitor alerts with the forged fingerprint.</summary>
public sealed class OwnerMonitorTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly TempDirectory _client = new("keypost-monitor");
    private readonly KeyGenerator _generator = new();
    private TestServer _server = null!;
    private HttpClient _http = null!;
    private SecretKey _luke = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _http = _server.CreateClient();
        _luke = _generator.Generate(new KeyGenerationRequest(Luke));
        await new KeyPublisher(_server.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(_luke.Certificate.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency!.SequenceAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _client.Dispose();
    }

    private OwnerMonitor Monitor => new(_http, new LogStore(_client.Combine("logs.db"), TimeProvider.System), TimeProvider.System);

    [Fact]
    public async Task A_forged_key_logged_by_the_operator_raises_an_alert_naming_version_epoch_and_fingerprint()
    {
        var clean = await Monitor.CheckAsync(Luke, [_luke.Fingerprint], CancellationToken.None);
        Assert.Empty(clean.Alerts);
        Assert.Equal(1, clean.Version);

        // The operator publishes a key of his own for Luke, openly, through the directory: it is logged.
        var forged = _generator.Generate(new KeyGenerationRequest(Luke)).Certificate;
        await new KeyPublisher(_server.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(forged.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency!.SequenceAsync(CancellationToken.None);

        var report = await Monitor.CheckAsync(Luke, [_luke.Fingerprint], CancellationToken.None);
        var alert = Assert.Single(report.Alerts);
        Assert.Equal(2, alert.Version);
        Assert.Equal(report.Epoch, alert.Epoch);
        Assert.Equal(forged.Fingerprint, alert.Fingerprint, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("a key you do not hold", alert.ToString(), StringComparison.Ordinal);

        // The alert repeats until dealt with; once replaced, the history still names the forged version, its epoch
        // and its key (the log's history chain proves it), not only that a version was skipped.
        await new KeyPublisher(_server.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(_luke.Certificate.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency!.SequenceAsync(CancellationToken.None);
        var after = await Monitor.CheckAsync(Luke, [_luke.Fingerprint], CancellationToken.None);
        Assert.Equal(3, after.Version);
        var named = Assert.Single(after.Alerts);
        Assert.Equal((2L, report.Epoch), (named.Version, named.Epoch));
        Assert.Equal(forged.Fingerprint, named.Fingerprint, StringComparer.OrdinalIgnoreCase);
    }
}
