using System.Net;

namespace Keypost.Mail.Spf;

/// <summary>The values macros expand to (RFC 7208 §7.2).</summary>
internal sealed record SpfMacroContext(string Sender, string Domain, IPAddress Client, string Helo);
