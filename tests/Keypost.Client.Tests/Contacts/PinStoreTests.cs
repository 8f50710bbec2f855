using Keypost.Client.Contacts;
using Keypost.Core.Addresses;
using Keypost.Testing;

namespace Keypost.Client.Tests.Contacts;

public sealed class PinStoreTests : IDisposable
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly TempDirectory _home = new("keypost-pins");
    private readonly PinStore _pins;

    public PinStoreTests()
    {
        _pins = new PinStore(_home.Combine("pins.db"), TimeProvider.System);
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task First_use_pins_then_the_same_key_matches()
    {
        Assert.Equal(PinOutcome.New, (await _pins.CheckAsync(Luke, "AAAA", CancellationToken.None)).Outcome);
        Assert.Equal(PinOutcome.Match, (await _pins.CheckAsync(EmailAddress.Parse("LUKE@jedi.test"), "AAAA", CancellationToken.None)).Outcome);
        var pin = await _pins.FindAsync(Luke, CancellationToken.None);
        Assert.Equal(PinMethod.FirstUse, pin!.Method);
    }

    [Fact]
    public async Task A_changed_key_is_reported_with_both_fingerprints_and_not_stored()
    {
        await _pins.CheckAsync(Luke, "AAAA", CancellationToken.None);
        var check = await _pins.CheckAsync(Luke, "BBBB", CancellationToken.None);
        Assert.Equal(PinOutcome.Changed, check.Outcome);
        Assert.Equal("AAAA", check.Previous!.Fingerprint);
        Assert.Equal("BBBB", check.Fingerprint);
        Assert.Equal("AAAA", (await _pins.FindAsync(Luke, CancellationToken.None))!.Fingerprint);
    }

    [Fact]
    public async Task Verification_replaces_the_pin_and_survives_reopening()
    {
        await _pins.CheckAsync(Luke, "AAAA", CancellationToken.None);
        await _pins.VerifyAsync(Luke, "bbbb", CancellationToken.None);
        var reopened = new PinStore(_home.Combine("pins.db"), TimeProvider.System);
        var pin = await reopened.FindAsync(Luke, CancellationToken.None);
        Assert.Equal("BBBB", pin!.Fingerprint);
        Assert.Equal(PinMethod.Fingerprint, pin.Method);
        Assert.Single(await reopened.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Upgrades_only_raise_the_method_for_the_same_key()
    {
        await _pins.CheckAsync(Luke, "AAAA", CancellationToken.None);
        await _pins.UpgradeAsync(Luke, "BBBB", PinMethod.Transparency, CancellationToken.None);
        Assert.Equal(PinMethod.FirstUse, (await _pins.FindAsync(Luke, CancellationToken.None))!.Method);
        await _pins.UpgradeAsync(Luke, "AAAA", PinMethod.Transparency, CancellationToken.None);
        Assert.Equal(PinMethod.Transparency, (await _pins.FindAsync(Luke, CancellationToken.None))!.Method);
    }
}
