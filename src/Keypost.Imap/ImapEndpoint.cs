using System.Net;

namespace Keypost.Imap;

/// <summary>One address to listen on and how it does TLS.</summary>
public sealed record ImapEndpoint(IPEndPoint EndPoint, ImapTlsMode TlsMode);
