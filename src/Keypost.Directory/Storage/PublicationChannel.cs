namespace Keypost.Directory.Storage;

/// <summary>
/// How a certificate row reached the directory, kept with the row (<c>certificates.channel</c>) so the server's
/// owner monitor can tell the owner's own changes from the operator's. Stored as the lower-case names below.
/// </summary>
public enum PublicationChannel
{
    /// <summary>The operator (<c>keypost directory publish</c>, quickstart) or a direct write to the database: the default.</summary>
    Operator,

    /// <summary>The account's authenticated channel: <c>POST /keypost/v1/publish</c> with the account's mail password over TLS.</summary>
    Account,

    /// <summary>A Web Key Service submission confirmed by a confirmation-response from the address's own mailbox.</summary>
    Wks,
}
