using System.Security.Authentication;

namespace Keypost.Mail.Tests.Smtp;

public sealed class SmtpGreetingTests
{
    [Fact]
    public async Task Greeting_names_the_host_without_a_version()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);

        Assert.Equal("220 mx.jedi.test ESMTP Keypost", await client.ReadReplyAsync());
    }

    [Fact]
    public async Task Inbound_ehlo_advertises_extensions_and_starttls_but_never_auth()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
        await client.ReadReplyAsync();

        var lines = (await client.CommandAsync("EHLO client.rebel.test")).Split('\n');

        Assert.Equal("250-mx.jedi.test", lines[0]);
        Assert.StartsWith("250 ", lines[^1]);
        var keywords = lines.Select(l => l[4..]).ToArray();
        Assert.Contains("PIPELINING", keywords);
        Assert.Contains("8BITMIME", keywords);
        Assert.Contains("SMTPUTF8", keywords);
        Assert.Contains("SIZE 26214400", keywords);
        Assert.Contains("ENHANCEDSTATUSCODES", keywords);
        Assert.Contains("STARTTLS", keywords);
        Assert.DoesNotContain(keywords, k => k.StartsWith("AUTH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Submission_offers_auth_only_after_tls_and_starttls_only_before()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Submission);
        await client.ReadReplyAsync();

        var before = await client.CommandAsync("EHLO client.jedi.test");
        Assert.EndsWith("250 STARTTLS", before, StringComparison.Ordinal);
        Assert.DoesNotContain("AUTH", before, StringComparison.Ordinal);

        Assert.StartsWith("220 2.0.0", await client.CommandAsync("STARTTLS"));
        await client.StartTlsAsync();
        var after = await client.CommandAsync("EHLO client.jedi.test");
        Assert.Contains("AUTH PLAIN LOGIN", after, StringComparison.Ordinal);
        Assert.DoesNotContain("STARTTLS", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helo_is_answered_without_extensions()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
        await client.ReadReplyAsync();

        Assert.Equal("250 mx.jedi.test", await client.CommandAsync("HELO client.rebel.test"));
        Assert.StartsWith("250 2.1.0", await client.CommandAsync("MAIL FROM:<leia@rebel.test>"));
    }

    [Fact]
    public async Task Ehlo_without_a_name_is_a_syntax_error()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Inbound);
        await client.ReadReplyAsync();

        Assert.StartsWith("501 5.5.4", await client.CommandAsync("EHLO"));
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Starttls_negotiates_tls_1_2_and_1_3(SslProtocols protocol)
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.Submission);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.jedi.test");
        await client.CommandAsync("STARTTLS");

        await client.StartTlsAsync(protocol);

        Assert.Equal(protocol, client.NegotiatedProtocol);
        Assert.StartsWith("250-mx.jedi.test", await client.CommandAsync("EHLO client.jedi.test"));
    }

    [Fact]
    public async Task Implicit_tls_port_greets_inside_tls_and_offers_auth()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var client = await SmtpTestClient.ConnectAsync(server.SubmissionImplicit, implicitTls: true);

        Assert.Equal("220 mx.jedi.test ESMTP Keypost", await client.ReadReplyAsync());
        var ehlo = await client.CommandAsync("EHLO client.jedi.test");
        Assert.Contains("AUTH PLAIN LOGIN", ehlo, StringComparison.Ordinal);
        Assert.DoesNotContain("STARTTLS", ehlo, StringComparison.Ordinal);
    }
}
