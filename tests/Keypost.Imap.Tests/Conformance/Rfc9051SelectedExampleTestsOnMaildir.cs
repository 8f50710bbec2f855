using Keypost.Testing.Postgres;

namespace Keypost.Imap.Tests.Conformance;

/// <summary>RFC 9051 §6.4's examples over the Maildir store.</summary>
public sealed class Rfc9051SelectedExampleTestsOnMaildir : Rfc9051SelectedExampleTests
{
    protected override Task<ImapTestServer> StartAsync() => ImapTestServer.StartAsync();
}
