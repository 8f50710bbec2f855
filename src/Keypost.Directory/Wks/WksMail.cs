using Keypost.Core.Addresses;

namespace Keypost.Directory.Wks;

/// <summary>A message that arrived for a submission address, with who sent it from where.</summary>
public sealed record WksMail(EmailAddress Recipient, EmailAddress? EnvelopeSender, string Client, byte[] Message);
