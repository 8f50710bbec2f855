using Microsoft.Extensions.Hosting;

namespace Keypost.Server.Hosting;

/// <summary>
/// The lifetime of a server inside another program (tests, the demo): no signal handlers, no console messages;
/// the owner stops it by disposing the <see cref="KeypostServer"/>.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
