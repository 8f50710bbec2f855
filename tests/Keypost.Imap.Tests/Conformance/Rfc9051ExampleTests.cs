namespace Keypost.Imap.Tests.Conformance;

/// <summary>RFC 9051 §6.1 (any state) and §6.2 (not authenticated state): the RFC's examples replayed on the wire.</summary>
public sealed class Rfc9051ExampleTests
{
    // RFC 9051 §6.1.1: "abcd CAPABILITY" -> one untagged CAPABILITY listing IMAP4rev2, then the tagged OK.
    [Fact]
    public async Task Capability_lists_imap4rev2_and_before_tls_starttls_and_logindisabled()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.StartTls, tls: false);
        await client.ReadLineAsync();

        var lines = await client.CommandAsync("abcd", "CAPABILITY");

        Assert.Equal(2, lines.Count);
        Assert.Matches(@"^\* CAPABILITY (?=.* IMAP4rev2( |$))(?=.* STARTTLS( |$))(?=.* LOGINDISABLED( |$))", lines[0]);
        Assert.Equal("abcd OK CAPABILITY completed", lines[1]);
    }

    // RFC 9051 §6.1.1: a CAPABILITY command with arguments is a syntax error.
    [Fact]
    public async Task Capability_with_an_argument_is_bad()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        var lines = await client.CommandAsync("abcd", "CAPABILITY IMAP4rev2");

        Assert.Single(lines);
        Assert.StartsWith("abcd BAD ", lines[0]);
    }

    // RFC 9051 §6.1.2: "a002 NOOP" -> "* 22 EXPUNGE", "* 23 EXISTS", "* 14 FETCH (FLAGS (\Seen \Deleted))", "a002 OK".
    // Adapted: another session expunges message 2, marks message 1 \Seen, and a new message arrives.
    [Fact]
    public async Task Noop_reports_expunge_exists_and_flag_changes_made_elsewhere()
    {
        await using var server = await ImapTestServer.StartAsync();
        await ConformanceSession.DeliverAsync(server, 3);
        await using var watcher = await ConformanceSession.SelectedAsync(server);
        await using var actor = await ConformanceSession.SelectedAsync(server);
        await actor.CommandAsync("a1", "STORE 2 +FLAGS.SILENT (\\Deleted)");
        await actor.CommandAsync("a2", "EXPUNGE");
        await actor.CommandAsync("a3", "STORE 1 +FLAGS.SILENT (\\Seen)");
        await server.DeliverAsync(TestMail.Simple("Message 4"));

        var lines = await watcher.CommandAsync("a002", "NOOP");

        Assert.Contains("* 2 EXPUNGE", lines);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\* 1 FETCH \((UID 1 )?FLAGS \(\\Seen\)\)$"));
        Assert.Contains("* 3 EXISTS", lines);
        Assert.Equal("a002 OK NOOP completed", lines[^1]);
        Assert.Equal(4, lines.Count);
        // EXPUNGE before EXISTS: "* 3 EXISTS" counts the mailbox after message 2 has gone.
        Assert.True(lines.IndexOf("* 2 EXPUNGE") < lines.IndexOf("* 3 EXISTS"));
    }

    // RFC 9051 §6.1.3: "A023 LOGOUT" -> "* BYE ...", "A023 OK LOGOUT completed", then the server closes the connection.
    [Fact]
    public async Task Logout_sends_bye_then_ok_then_closes()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);

        var lines = await client.CommandAsync("A023", "LOGOUT");

        Assert.Equal(2, lines.Count);
        Assert.StartsWith("* BYE ", lines[0]);
        Assert.Equal("A023 OK LOGOUT completed", lines[1]);
        Assert.Null(await client.ReadLineAsync());
    }

    // RFC 9051 §6.2.1: a001 CAPABILITY (STARTTLS LOGINDISABLED), a002 STARTTLS -> "a002 OK Begin TLS negotiation now",
    // <TLS>, a003 CAPABILITY (AUTH=PLAIN, no LOGINDISABLED), a004 LOGIN -> OK.
    [Fact]
    public async Task Starttls_example_exchange()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.StartTls, tls: false);
        await client.ReadLineAsync();

        var before = await client.CommandAsync("a001", "CAPABILITY");
        var starttls = await client.CommandAsync("a002", "STARTTLS");
        await client.StartTlsAsync();
        var after = await client.CommandAsync("a003", "CAPABILITY");
        var login = await client.CommandAsync("a004", "LOGIN " + ImapTestServer.Luke + " " + ImapTestServer.LukePassword);

        Assert.Matches(@"^\* CAPABILITY (?=.* STARTTLS( |$))(?=.* LOGINDISABLED( |$))", before[0]);
        Assert.Equal(["a002 OK Begin TLS negotiation now"], starttls);
        Assert.Matches(@"^\* CAPABILITY (?=.* IMAP4rev2( |$))(?=.* AUTH=PLAIN( |$))(?!.*LOGINDISABLED)(?!.*STARTTLS)", after[0]);
        Assert.Equal("a003 OK CAPABILITY completed", after[1]);
        Assert.StartsWith("a004 OK", login[^1]);
    }

    // RFC 9051 §6.2.1: STARTTLS is only valid before TLS is active; on an implicit-TLS connection it is refused with BAD.
    [Fact]
    public async Task Starttls_under_tls_is_bad()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        var lines = await client.CommandAsync("a002", "STARTTLS");

        Assert.Single(lines);
        Assert.StartsWith("a002 BAD ", lines[0]);
    }

    // RFC 9051 §6.2.3: "a001 LOGIN SMITH SESAME" -> "a001 OK LOGIN completed"; the OK may carry [CAPABILITY ...] (§7.1).
    // Quoted strings are accepted as astrings; a wrong password is NO [AUTHENTICATIONFAILED] (§7.1).
    [Fact]
    public async Task Login_example_with_quoted_strings_and_a_wrong_password()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        var wrong = await client.CommandAsync("a000", "LOGIN \"" + ImapTestServer.Luke + "\" \"SESAME\"");
        var login = await client.CommandAsync("a001", "LOGIN \"" + ImapTestServer.Luke + "\" \"" + ImapTestServer.LukePassword + "\"");
        var again = await client.CommandAsync("a002", "LOGIN " + ImapTestServer.Luke + " " + ImapTestServer.LukePassword);

        Assert.Equal(["a000 NO [AUTHENTICATIONFAILED] Invalid credentials"], wrong);
        Assert.Single(login);
        Assert.Matches(@"^a001 OK (\[CAPABILITY [^\]]*IMAP4rev2[^\]]*\] )?", login[0]);
        Assert.DoesNotContain("AUTH=PLAIN", login[0], StringComparison.Ordinal);
        // LOGIN is only valid in the not authenticated state.
        Assert.StartsWith("a002 BAD ", again[^1]);
    }

    // RFC 9051 §6.2.3: LOGIN with a missing argument is a syntax error (BAD), not an authentication failure.
    [Fact]
    public async Task Login_without_a_password_is_bad()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await RawImapClient.ConnectAsync(server.Implicit, tls: true);
        await client.ReadLineAsync();

        var lines = await client.CommandAsync("a001", "LOGIN " + ImapTestServer.Luke);

        Assert.Single(lines);
        Assert.StartsWith("a001 BAD ", lines[0]);
    }

    // RFC 9051 §6.3.1: "t2 ENABLE CONDSTORE X-GOOD-IDEA" -> "* ENABLED X-GOOD-IDEA", "t2 OK"; only what the server
    // supports is listed. Adapted: CONDSTORE is not offered, IMAP4rev2 is.
    [Fact]
    public async Task Enable_lists_only_supported_extensions()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);

        var unknown = await client.CommandAsync("t1", "ENABLE CONDSTORE X-GOOD-IDEA");
        var rev2 = await client.CommandAsync("t2", "ENABLE CONDSTORE IMAP4rev2");

        Assert.Equal(["* ENABLED", "t1 OK ENABLE completed"], unknown);
        Assert.Equal(["* ENABLED IMAP4rev2", "t2 OK ENABLE completed"], rev2);
    }

    // RFC 9051 §6.3.10: "A001 NAMESPACE" -> "* NAMESPACE (("" "/")) NIL NIL"; our hierarchy delimiter is ".".
    [Fact]
    public async Task Namespace_has_one_personal_namespace()
    {
        await using var server = await ImapTestServer.StartAsync();
        await using var client = await ConformanceSession.LoggedInAsync(server);

        var lines = await client.CommandAsync("A001", "NAMESPACE");

        Assert.Equal(["* NAMESPACE ((\"\" \".\")) NIL NIL", "A001 OK NAMESPACE completed"], lines);
    }
}
