using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Reading;
using Keypost.Client.Sending;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Directory.Publishing;
using Keypost.Testing;
using Keypost.Transparency.Lookup;
using MimeKit;

namespace Keypost.Server.Tests.Transparency;

/// <summary>
/// Issue #11 must-show: the proof inside the message verifies in the reader with no lookup; a tampered or foreign
/// proof is reported, never trusted; a message without one reads as before.
/// </summary>
public sealed class MessageKeyProofTests : IAsyncLifetime
{
    private static readonly EmailAddress Leia = EmailAddress.Parse("leia@rebel.test");
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly TempDirectory _client = new("keypost-message-proof");
    private readonly KeyGenerator _generator = new();
    private TestServer _server = null!;
    private HttpClient _http = null!;
    private SecretKey _leia = null!;
    private SecretKey _luke = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _http = _server.CreateClient();
        _leia = _generator.Generate(new KeyGenerationRequest(Leia));
        _luke = _generator.Generate(new KeyGenerationRequest(Luke));
        var publisher = new KeyPublisher(_server.Server.Store, new CertificatePolicy(), TimeProvider.System);
        await publisher.PublishAsync(_leia.Certificate.ToBinary(), null, CancellationToken.None);
        await publisher.PublishAsync(_luke.Certificate.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency.SequenceAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _client.Dispose();
    }

    private KeyDiscovery Discovery(string who) =>
        new(new WkdClient(_http, cacheLifetime: TimeSpan.Zero), new PinStore(_client.Combine(who + "-pins.db"), TimeProvider.System), KeyChangePolicy.Refuse,
            new LogChecker(_http, Logs(who), TimeProvider.System));

    private LogStore Logs(string who) => new(_client.Combine(who + "-logs.db"), TimeProvider.System);

    /// <summary>Leia's side: her own proof, as `keypost send` gets and checks it.</summary>
    private async Task<byte[]> OwnProofAsync(EmailAddress address, SecretKey key)
    {
        var message = new MimeMessage();
        var note = await SenderKeyProof.AttachAsync(Discovery("sender-" + address.LocalPart), key.Certificate, message, address, CancellationToken.None);
        Assert.StartsWith("proof of your key attached", note, StringComparison.Ordinal);
        return KeyProofHeader.Read(message.Headers)!;
    }

    private MimeMessage Compose(SecretKey signer, byte[]? proof)
    {
        var message = new MimeMessage { Subject = "the plans" };
        message.From.Add(new MailboxAddress(null, Leia.ToString()));
        message.To.Add(new MailboxAddress(null, Luke.ToString()));
        message.Body = new TextPart("plain") { Text = "They are in R2." };
        if (proof is not null)
        {
            message.Headers.Add(KeyProofHeader.Create(proof));
        }

        return new PgpMimeComposer().Compose(message, signer.Unlock(""), [_luke.Certificate]);
    }

    /// <summary>Luke's side: decrypt, verify the signature with the given key, check the proof; no network.</summary>
    private async Task<KeyProofResult?> ReadAsync(MimeMessage message, Certificate signer, string reader = "luke")
    {
        using var wire = new MemoryStream();
        await message.WriteToAsync(wire);
        wire.Position = 0;
        var received = await MimeMessage.LoadAsync(wire);
        var read = await new PgpMimeReader().ReadAsync(received, [_luke.Unlock("")], (_, _, _) => ValueTask.FromResult<Certificate?>(signer), CancellationToken.None);
        Assert.True(read.Signature.IsValid, read.Signature.Reason);
        return await new SenderKeyProofChecker(Logs(reader), TimeProvider.System).CheckAsync(read, CancellationToken.None);
    }

    [Fact]
    public async Task The_proof_travels_inside_the_encryption_and_verifies_against_the_pinned_log_key_without_a_lookup()
    {
        var proof = await OwnProofAsync(Leia, _leia);
        var sent = Compose(_leia, proof);
        Assert.DoesNotContain(sent.Headers, h => h.Field == KeyProofHeader.Field);

        // Luke pinned rebel.test's log key when he first looked Leia up; reading needs nothing more.
        Assert.True((await Discovery("luke").DiscoverAsync(Leia, CancellationToken.None)).Usable);
        _http.Dispose();
        var result = await ReadAsync(sent, _leia.Certificate);
        Assert.NotNull(result);
        Assert.True(result.Proved, result.Message);
        Assert.StartsWith("sender's key proved by the log (rebel.test log size ", result.Message, StringComparison.Ordinal);
        Assert.Contains(", version 1)", result.Message, StringComparison.Ordinal);

        // A message without a proof reads as before: no verdict.
        Assert.Null(await ReadAsync(Compose(_leia, null), _leia.Certificate));
        // A reader who never looked rebel.test up has no log key to check against: reported, not trusted.
        var stranger = await ReadAsync(sent, _leia.Certificate, reader: "stranger");
        Assert.False(stranger!.Proved);
        Assert.Contains("no log key pinned for rebel.test", stranger.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_or_foreign_proof_is_reported_and_never_trusted()
    {
        var proof = await OwnProofAsync(Leia, _leia);
        Assert.True((await Discovery("luke").DiscoverAsync(Leia, CancellationToken.None)).Usable);

        // Every single-byte change anywhere in the proof is caught (sampled: magic, VRF, map, binding, entry, checkpoint).
        foreach (var index in new[] { 0, 4, 10, 90, 130, proof.Length / 2, proof.Length - 200, proof.Length - 40 })
        {
            var tampered = (byte[])proof.Clone();
            tampered[index] ^= 0x01;
            var result = await ReadAsync(Compose(_leia, tampered), _leia.Certificate);
            Assert.False(result!.Proved, $"byte {index}: {result.Message}");
            Assert.NotNull(result.FailedCheck);
        }

        // Foreign: Luke's own (valid) proof of jedi.test in Leia's message; the rebel.test log key does not sign it.
        var lukes = await OwnProofAsync(Luke, _luke);
        var foreign = await ReadAsync(Compose(_leia, lukes), _leia.Certificate);
        Assert.False(foreign!.Proved);
        Assert.Equal(LookupCheck.CheckpointSignature, foreign.FailedCheck);

        // Leia's genuine proof copied by an impostor who signs with his own key for leia@rebel.test.
        var impostor = _generator.Generate(new KeyGenerationRequest(Leia));
        var copied = await ReadAsync(Compose(impostor, proof), impostor.Certificate);
        Assert.False(copied!.Proved);
        Assert.Equal(LookupCheck.CertificateMismatch, copied.FailedCheck);
        Assert.Contains(_leia.Fingerprint, copied.Message, StringComparison.OrdinalIgnoreCase);

        // Garbage in the field.
        var garbage = Compose(_leia, [1, 2, 3]);
        Assert.Equal(LookupCheck.Malformed, (await ReadAsync(garbage, _leia.Certificate))!.FailedCheck);
    }
}
