using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;
using Keypost.Directory.Transparency;
using Keypost.Transparency.Log;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Tiles;

namespace Keypost.Server.Tests.Transparency;

public sealed class LogHttpTests : IAsyncLifetime
{
    private const string Advanced = "https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log/";
    private const string Direct = "https://jedi.test/.well-known/openpgpkey/log/";
    private static readonly byte[] LukeCertificate = [0x98, 0x33, 1, 2, 3, 4];
    private TestServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _client = _server.CreateClient();
        await _server.Server.Store.PublishAsync(EmailAddress.Parse("luke@jedi.test"), "AA", LukeCertificate, revoked: false, CancellationToken.None);
        await _server.Server.Transparency!.SequenceAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private NoteVerifier LogKey => NoteVerifier.Parse(_server.Server.Transparency!.VerifierKey("jedi.test")!);

    [Theory]
    [InlineData(Advanced)]
    [InlineData(Direct)]
    public async Task The_checkpoint_is_served_by_both_methods_and_signed_by_the_log_key(string prefix)
    {
        using var response = await _client.GetAsync(prefix + "checkpoint");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var note = LogKey.Verify(await response.Content.ReadAsByteArrayAsync());
        var checkpoint = Checkpoint.Parse(note.Text);
        Assert.Equal(DirectoryTransparency.OriginFor("jedi.test"), checkpoint.Origin);
        Assert.True(checkpoint.Size >= 1);
    }

    [Fact]
    public async Task Tiles_and_entry_bundles_rebuild_the_checkpoint_root()
    {
        var checkpoint = Checkpoint.Parse(LogKey.Verify(await _client.GetByteArrayAsync(Advanced + "checkpoint")).Text);
        var width = (int)checkpoint.Size;
        var tile = await _client.GetByteArrayAsync(Advanced + new TileAddress(0, 0, width).Path());
        var bundle = TileReader.ParseEntryBundle(await _client.GetByteArrayAsync(Advanced + new TileAddress(-1, 0, width).Path()));
        var hashes = new MemoryLogHashes();
        for (var i = 0; i < width; i++)
        {
            Assert.Equal(MerkleHash.Leaf(bundle[i]), tile[(i * 32)..((i + 1) * 32)]);
            hashes.Append(MerkleHash.Leaf(bundle[i]));
        }

        Assert.Equal(checkpoint.RootHash, MerkleProofs.Root(hashes, width));
        using var full = await _client.GetAsync(Advanced + "tile/0/000");
        Assert.Equal(HttpStatusCode.NotFound, full.StatusCode);
        using var bad = await _client.GetAsync(Advanced + "tile/0/1");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(Advanced)]
    [InlineData(Direct)]
    public async Task The_lookup_proves_the_key_WKD_serves(string prefix)
    {
        var hash = WkdHash.Compute("luke");
        var served = await _client.GetByteArrayAsync(WkdUrls.Advanced(EmailAddress.Parse("luke@jedi.test")));
        using var response = await _client.GetAsync($"{prefix}lookup/{hash}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var verifier = new LookupVerifier(LogKey, DirectoryTransparency.OriginFor("jedi.test"));
        var result = verifier.VerifyCertificate("luke@jedi.test", await response.Content.ReadAsByteArrayAsync(), null, DateTimeOffset.UtcNow, [0xAA], served);
        Assert.Equal(1, result.Binding!.Version);
    }

    [Fact]
    public async Task Unknown_hashes_are_a_problem_and_a_named_absent_address_gets_an_absence_proof()
    {
        var vader = WkdHash.Compute("vader");
        using var unknown = await _client.GetAsync($"{Advanced}lookup/{vader}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        using var mismatch = await _client.GetAsync($"{Advanced}lookup/{vader}?l=luke");
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);

        using var absent = await _client.GetAsync($"{Advanced}lookup/{vader}?l=vader");
        Assert.Equal(HttpStatusCode.OK, absent.StatusCode);
        var verifier = new LookupVerifier(LogKey, DirectoryTransparency.OriginFor("jedi.test"));
        var result = verifier.Verify("vader@jedi.test", await absent.Content.ReadAsByteArrayAsync(), null, DateTimeOffset.UtcNow);
        Assert.Null(result.Binding);
        Assert.Equal(-1, (await absent.Content.ReadAsByteArrayAsync()).AsSpan().IndexOf(Encoding.ASCII.GetBytes("luke")));
    }
}
