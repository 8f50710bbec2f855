using Keypost.Mail.Smtp;

namespace Keypost.Server.Gateway;

/// <summary>One message the gateway hands on: the octets to sign and queue, for the recipients in its envelope.</summary>
public sealed record GatewayCopy(SmtpEnvelope Envelope, byte[] Data);
