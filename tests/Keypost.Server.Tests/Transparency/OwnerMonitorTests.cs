using Keypost.Client.Contacts;
using Keypost.Client.Monitoring;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.Testing;

namespace Keypost.Server.Tests.Transparency;

/// <summary>Issue #11 (b): the operator logs a forged key for Luke; Luke's monitor alerts with the forged fingerprint.</summary>
public sealed class OwnerMonitorTests() : LukeOnTheLog("keypost-monitor")
{
    private OwnerMonitor Monitor => new(Http, new LogStore(ClientDirectory.Combine("logs.db"), TimeProvider.System), TimeProvider.System);

    [Fact]
    public async Task A_forged_key_logged_by_the_operator_raises_an_alert_naming_version_epoch_and_fingerprint()
    {
        var clean = await Monitor.CheckAsync(Luke, [LukeKey.Fingerprint], CancellationToken.None);
        Assert.Empty(clean.Alerts);
        Assert.Equal(1, clean.Version);

        // The operator publishes a key of his own for Luke, openly, through the directory: it is logged.
        var forged = Generator.Generate(new KeyGenerationRequest(Luke)).Certificate;
        await new KeyPublisher(Server.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(forged.ToBinary(), null, CancellationToken.None);
        await Server.Server.Transparency!.SequenceAsync(CancellationToken.None);

        var report = await Monitor.CheckAsync(Luke, [LukeKey.Fingerprint], CancellationToken.None);
        var alert = Assert.Single(report.Alerts);
        Assert.Equal(2, alert.Version);
        Assert.Equal(report.Epoch, alert.Epoch);
        Assert.Equal(forged.Fingerprint, alert.Fingerprint, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("a key you do not hold", alert.ToString(), StringComparison.Ordinal);

        // The alert repeats until dealt with; once replaced, the history still names the forged version, its epoch
        // and its key (the log's history chain proves it), not only that a version was skipped.
        await new KeyPublisher(Server.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(LukeKey.Certificate.ToBinary(), null, CancellationToken.None);
        await Server.Server.Transparency!.SequenceAsync(CancellationToken.None);
        var after = await Monitor.CheckAsync(Luke, [LukeKey.Fingerprint], CancellationToken.None);
        Assert.Equal(3, after.Version);
        var named = Assert.Single(after.Alerts);
        Assert.Equal((2L, report.Epoch), (named.Version, named.Epoch));
        Assert.Equal(forged.Fingerprint, named.Fingerprint, StringComparer.OrdinalIgnoreCase);
    }
}
