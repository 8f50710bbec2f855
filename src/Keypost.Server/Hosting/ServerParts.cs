using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Server.Mail;

namespace Keypost.Server.Hosting;

/// <summary>
/// The parts a server opens before its host starts (they need async I/O: the directory database, the queue);
/// the hosted services find them here. <see cref="Mail"/> is set once, between building and starting the host.
/// </summary>
internal sealed class ServerParts(DirectoryStore store, DirectoryTransparency transparency)
{
    public DirectoryStore Store { get; } = store;

    /// <summary>The domains' transparency logs (docs/transparency.md), sealed by the epoch sequencer.</summary>
    public DirectoryTransparency Transparency { get; } = transparency;

    public MailHost? Mail { get; set; }
}
