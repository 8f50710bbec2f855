using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Directory.Transparency;

/// <summary>Runs <see cref="DirectoryTransparency.SequenceAsync"/> every poll interval for as long as the host runs.</summary>
public sealed class EpochSequencer(DirectoryTransparency transparency, TimeProvider clock, ILogger<EpochSequencer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(transparency.Options.PollInterval, clock);
        do
        {
            try
            {
                await transparency.SequenceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "sequencing an epoch failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
