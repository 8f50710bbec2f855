namespace Keypost.Mail.Spf;

/// <summary>
/// The SPF verdict for a message. <see cref="Domain"/> is the checked domain (what DMARC aligns with);
/// <see cref="Sender"/> is the full identity (<c>postmaster@&lt;helo&gt;</c> for a null reverse-path).
/// </summary>
public sealed record SpfCheckResult(SpfResult Result, SpfIdentity Identity, string Domain, string Sender, string? Reason = null);
