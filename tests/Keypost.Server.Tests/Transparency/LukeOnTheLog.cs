using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.Testing;

namespace Keypost.Server.Tests.Transparency;

/// <summary>
/// jedi.test with Luke's key published and sealed into its log, and a client directory for the side that checks it
/// (Leia's client, Luke's monitor): the start of the transparency attack tests.
/// </summary>
public abstract class LukeOnTheLog(string clientDirectoryPrefix) : IAsyncLifetime
{
    protected static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    protected TempDirectory ClientDirectory { get; } = new(clientDirectoryPrefix);

    protected KeyGenerator Generator { get; } = new();

    protected TestServer Server { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    protected SecretKey LukeKey { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        Http = Server.CreateClient();
        LukeKey = Generator.Generate(new KeyGenerationRequest(Luke));
        await new KeyPublisher(Server.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(LukeKey.Certificate.ToBinary(), null, CancellationToken.None);
        await Server.Server.Transparency!.SequenceAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        ClientDirectory.Dispose();
    }
}
