using Keypost.Core.Addresses;

namespace Keypost.Directory.Wks;

/// <summary>A mail the Web Key Service sends: the envelope and the whole message (CRLF line ends).</summary>
public sealed record WksReply(EmailAddress From, EmailAddress To, byte[] Message);
