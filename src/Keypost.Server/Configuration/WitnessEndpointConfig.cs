namespace Keypost.Server.Configuration;

/// <summary>One witness of <c>transparency.witnesses</c>: its submission prefix and its C2SP cosignature vkey.</summary>
public sealed class WitnessEndpointConfig
{
    /// <summary>The witness's submission prefix; add-checkpoint is posted to <c>{url}/add-checkpoint</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>The witness's verifier key (type 0x04, as <c>keypost witness key</c> prints it).</summary>
    public string Vkey { get; set; } = "";
}
