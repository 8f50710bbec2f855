using Keypost.Testing.Postgres;

namespace Keypost.Imap.Tests.Conformance;

/// <summary>RFC 9051 §6.3's examples over the PostgreSQL store (issue #15: the same suites on both).</summary>
[OnPostgres]
public sealed class Rfc9051MailboxExampleTestsOnPostgres : Rfc9051MailboxExampleTests
{
    protected override Task<ImapTestServer> StartAsync() => ImapTestServer.StartOnPostgresAsync();
}
