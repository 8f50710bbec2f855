using Keypost.Server.Witness;
using Keypost.Transparency.Witness;

namespace Keypost.Cli.Demo;

/// <summary>The demo's witness, run as its operator would: its key is made first, then the logs it cosigns are added.</summary>
public static class DemoWitness
{
    public static async Task<string> VerifierKeyAsync(WitnessConfig config, CancellationToken cancellationToken)
    {
        var store = await SqliteWitnessStore.OpenAsync(config.Database, cancellationToken);
        return new Cosigner(config.Name, await store.KeyAsync(cancellationToken)).VerifierKey;
    }
}
