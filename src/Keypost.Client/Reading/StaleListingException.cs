namespace Keypost.Client.Reading;

/// <summary>
/// The folder's UIDVALIDITY changed since it was listed (RFC 9051 §2.3.1.1): the UID may now name another
/// message, so nothing is read or moved.
/// </summary>
public sealed class StaleListingException(string folder, uint listed, uint now)
    : Exception($"the folder {folder} changed since it was listed (UIDVALIDITY {listed}, now {now}): list it again");
