using System.Net;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Reading;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Testing;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Client.Tests.Reading;

/// <summary>
/// Issue #10, "lookups that leak nothing": every HTTP request discovery would make goes through a counting handler
/// standing in for the sender's WKD server.
/// </summary>
public sealed class ReadingLookupTests : IDisposable
{
    private const string Leia = "leia@rebel.test";
    private const string Luke = "luke@jedi.test";

    private readonly TempDirectory _home = new("keypost-reading-lookups");
    private readonly SecretKey _leia = Crafted.Key(Leia);
    private readonly SecretKey _luke = Crafted.Key(Luke);

    [Fact]
    public async Task Reading_unsigned_mail_makes_no_http_request_at_all()
    {
        var (reader, http) = Reader(lookups: true);
        var messages = Enumerable.Range(0, 10).Select(i => Crafted.Letter(Leia, Luke, $"plain {i}", "hi"))
            .Concat(Enumerable.Range(0, 10).Select(i => new PgpMimeComposer().ComposeEncryptOnly(Crafted.Letter(Leia, Luke, $"gateway {i}", "hi"), [_luke.Certificate])))
            .ToList();

        var read = new List<ReadMessage>();
        foreach (var (message, i) in messages.Select((m, i) => (m, i)))
        {
            read.Add(await reader.EvaluateAsync(Crafted.Reload(message), new MessageLocation("INBOX", 1, (uint)i + 1), 0, mayLookUp: true, CancellationToken.None));
        }

        Assert.Equal(0, http.Requests);
        Assert.Equal(10, read.Count(r => r.State == ReadState.Plain));
        Assert.Equal(10, read.Count(r => r.State == ReadState.EncryptedUnsigned));
    }

    [Fact]
    public async Task Reading_20_signed_messages_from_one_sender_makes_at_most_one_request()
    {
        var (reader, http) = Reader(lookups: true);

        var read = new List<ReadMessage>();
        for (var i = 0; i < 20; i++)
        {
            var message = new PgpMimeComposer().Compose(Crafted.Letter(Leia, Luke, $"signed {i}", "hi"), _leia.Unlock(""), [_luke.Certificate]);
            read.Add(await reader.EvaluateAsync(Crafted.Reload(message), new MessageLocation("INBOX", 1, (uint)i + 1), 0, mayLookUp: true, CancellationToken.None));
        }

        Assert.True(http.Requests <= 1, $"{http.Requests} requests");
        Assert.All(read, r => Assert.Equal(ReadState.EncryptedAndVerified, r.State));
    }

    [Fact]
    public async Task A_sender_whose_lookup_failed_is_not_asked_again_within_the_period_and_nothing_fails()
    {
        var (reader, http) = Reader(lookups: true, respond: () => throw new HttpRequestException("certificate rejected"));

        var read = new List<ReadMessage>();
        for (var i = 0; i < 5; i++)
        {
            var message = new PgpMimeComposer().Compose(Crafted.Letter(Leia, Luke, $"signed {i}", "hi"), _leia.Unlock(""), [_luke.Certificate]);
            read.Add(await reader.EvaluateAsync(Crafted.Reload(message), new MessageLocation("INBOX", 1, (uint)i + 1), 0, mayLookUp: true, CancellationToken.None));
        }

        Assert.Equal(1, http.Requests);
        Assert.All(read, r => Assert.Equal(ReadState.EncryptedSignatureNotVerified, r.State));
        Assert.All(read, r => Assert.Equal("signed " + read.IndexOf(r), r.DisplaySubject));
    }

    [Fact]
    public async Task Opening_one_message_and_lookups_turned_off_make_no_request()
    {
        var (opening, openingHttp) = Reader(lookups: true);
        var (off, offHttp) = Reader(lookups: false);
        var message = new PgpMimeComposer().Compose(Crafted.Letter(Leia, Luke, "signed", "hi"), _leia.Unlock(""), [_luke.Certificate]);

        var opened = await opening.EvaluateAsync(Crafted.Reload(message), new MessageLocation("INBOX", 1, 1), 0, mayLookUp: false, CancellationToken.None);
        var listed = await off.EvaluateAsync(Crafted.Reload(message), new MessageLocation("INBOX", 1, 1), 0, mayLookUp: true, CancellationToken.None);

        Assert.Equal(0, openingHttp.Requests);
        Assert.Equal(0, offHttp.Requests);
        Assert.Equal(PgpMimeSignatureStatus.UnknownSigner, opened.Result!.Signature.Status);
        Assert.Equal(PgpMimeSignatureStatus.UnknownSigner, listed.Result!.Signature.Status);
    }

    [Fact]
    public async Task A_key_held_from_an_earlier_listing_verifies_without_a_request_across_restarts()
    {
        var path = _home.Combine("signer-keys.json");
        var first = await KnownSignerKeys.LoadAsync(path, CancellationToken.None);
        var (lister, listHttp) = Reader(lookups: true, known: first);
        var message = new PgpMimeComposer().Compose(Crafted.Letter(Leia, Luke, "signed", "hi"), _leia.Unlock(""), [_luke.Certificate]);
        await lister.EvaluateAsync(Crafted.Reload(message), new MessageLocation("INBOX", 1, 1), 0, mayLookUp: true, CancellationToken.None);

        var (opener, openHttp) = Reader(lookups: true, known: await KnownSignerKeys.LoadAsync(path, CancellationToken.None));
        var opened = await opener.EvaluateAsync(Crafted.Reload(message), new MessageLocation("INBOX", 1, 1), 0, mayLookUp: false, CancellationToken.None);

        Assert.Equal(1, listHttp.Requests);
        Assert.Equal(0, openHttp.Requests);
        Assert.Equal(ReadState.EncryptedAndVerified, opened.State);
    }

    private (MailReader Reader, CountingHandler Http) Reader(bool lookups, Func<HttpResponseMessage>? respond = null, KnownSignerKeys? known = null)
    {
        var certificate = _leia.Certificate.ToBinary();
        var http = new CountingHandler(respond ?? (() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(certificate) }));
        var pins = new PinStore(_home.Combine(Guid.NewGuid().ToString("N") + ".db"), TimeProvider.System);
        // WkdClient's own cache is off: the at-most-once is the reader's doing.
        var discovery = new KeyDiscovery(new WkdClient(new HttpClient(http), cacheLifetime: TimeSpan.Zero), pins);
        var signers = new SignerKeys(known ?? KnownSignerKeys.InMemory(), pins, lookups ? discovery : null, TimeProvider.System);
        return (new MailReader(_luke.Unlock(""), new MailServerConnection("unused.invalid", 0, 0, Luke, ""), signers), http);
    }

    public void Dispose() => _home.Dispose();

    private sealed class CountingHandler(Func<HttpResponseMessage> respond) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            var response = respond();
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }
}
