namespace Keypost.Client.Reading;

/// <summary>
/// Where a message is: RFC 9051 §2.3.1.1, a UID names one message only together with the folder's UIDVALIDITY.
/// </summary>
public sealed record MessageLocation(string Folder, uint UidValidity, uint Uid);
