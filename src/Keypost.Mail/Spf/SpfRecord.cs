namespace Keypost.Mail.Spf;

/// <summary>A parsed SPF record: its directives in order and the redirect modifier (exp= is ignored).</summary>
internal sealed record SpfRecord(IReadOnlyList<SpfMechanism> Mechanisms, string? Redirect);
