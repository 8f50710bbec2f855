using Keypost.Directory.Storage;

namespace Keypost.Directory.Monitoring;

/// <summary>
/// A Web Key Service publication (draft-koch-openpgp-webkey-service §4.4): published only after a
/// confirmation-response carrying the single-use nonce that was mailed, encrypted to the submitted key, to the
/// address's own mailbox. Answering it needs the mailbox and the key's secret part, so it is the owner's change.
/// </summary>
public sealed class WksConfirmationRule : IOwnChangeRule
{
    public string? Explain(BindingVersion version, OwnerKeys owner) =>
        version.Channel == PublicationChannel.Wks ? "confirmed from the owner's mailbox (Web Key Service)" : null;
}
