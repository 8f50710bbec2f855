using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;
using Keypost.Server.Acme;
using Keypost.Server.Mail;
using Keypost.Server.Tls;

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

    /// <summary>The HTTPS listeners' certificate, reloaded on renewal; null without HTTPS listeners.</summary>
    public ReloadableCertificate? HttpCertificate { get; set; }

    /// <summary>SMTP's and IMAP's certificate: the same object as <see cref="HttpCertificate"/> when the files are.</summary>
    public ReloadableCertificate? MailCertificate { get; set; }

    public IEnumerable<ReloadableCertificate> Certificates =>
        new[] { HttpCertificate, MailCertificate }.OfType<ReloadableCertificate>().Distinct();

    /// <summary>Pending http-01 answers (ACME), served on acme.challengeListen.</summary>
    public AcmeChallenges Challenges { get; } = new();
}
