using Keypost.Client.Contacts;

namespace Keypost.Cli.Demo;

/// <summary>One person's client state in the demo, as `keypost client` keeps it in a profile: pins and log state.</summary>
public sealed class DemoPerson(string home)
{
    public PinStore Pins { get; } = new(Path.Combine(home, "pins.db"), TimeProvider.System);

    public LogStore Logs { get; } = new(Path.Combine(home, "logs.db"), TimeProvider.System);
}
