using Keypost.Directory.Storage;

namespace Keypost.Directory.Monitoring;

/// <summary>
/// A publication through the account's own authenticated channel (<c>POST /keypost/v1/publish</c> with the
/// account's mail password over TLS: <c>keypost client init</c>, <c>key rotate/extend/revoke</c>): the owner's own
/// change, including taking the address back after a forgery by republishing his key. It trusts the channel
/// recorded with the row, which the operator's <c>keypost directory publish</c> and an SQL write that does not name
/// one never set; an operator who resets the password or writes the column himself is for the owner's own
/// <c>keypost monitor</c> to catch (it compares the log with the keys the owner holds).
/// </summary>
public sealed class AccountChannelRule : IOwnChangeRule
{
    public string? Explain(BindingVersion version, OwnerKeys owner) =>
        version.Channel == PublicationChannel.Account ? "published through the owner's authenticated channel" : null;
}
