using System.Security.Cryptography.X509Certificates;
using Keypost.Mail.Dns;

namespace Keypost.Mail.Tests.Delivery;

/// <summary>How a <see cref="DeliveryHarness"/> reaches remote domains: resolver, SMTP port, MTA-STS port, trusted roots.</summary>
internal sealed record TransportSetup(IMailDnsResolver? Resolver, int SmtpPort, int? MtaStsPort = null, X509Certificate2Collection? TrustedRoots = null);
