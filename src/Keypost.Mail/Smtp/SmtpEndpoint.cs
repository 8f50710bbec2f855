using System.Net;

namespace Keypost.Mail.Smtp;

/// <summary>One address to listen on, what it is for, and how it does TLS.</summary>
public sealed record SmtpEndpoint(IPEndPoint EndPoint, SmtpListenerKind Kind, SmtpTlsMode TlsMode);
