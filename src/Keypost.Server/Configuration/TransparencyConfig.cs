namespace Keypost.Server.Configuration;

/// <summary>The key transparency log (docs/transparency.md): how often an epoch is sealed when nothing changed.</summary>
public sealed class TransparencyConfig
{
    /// <summary>An epoch at least this often, so clients see a fresh checkpoint; changes are logged within about a second.</summary>
    public int EpochIntervalSeconds { get; set; } = 3600;

    /// <summary>
    /// How often new publications are looked for and logged; a published key is provable within about this long.
    /// Changes between two looks share one epoch.
    /// </summary>
    public int SequenceIntervalSeconds { get; set; } = 1;

    /// <summary>
    /// How often the server judges every new version of its users' bindings and mails an owner a change he did not
    /// make (docs/transparency.md, "Server-side monitor"); 0 turns it off.
    /// </summary>
    public int MonitorIntervalSeconds { get; set; } = 3600;

    /// <summary>Witnesses every new checkpoint is submitted to; their cosignatures ride with the checkpoint.</summary>
    public List<WitnessEndpointConfig> Witnesses { get; set; } = [];

    /// <summary>The witnesses as the directory uses them; throws <see cref="ConfigException"/> on a bad URL or key.</summary>
    public IReadOnlyList<Directory.Transparency.WitnessEndpoint> WitnessEndpoints() => Witnesses.Select(w =>
    {
        if (!Uri.TryCreate(w.Url.EndsWith('/') ? w.Url : w.Url + "/", UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ConfigException($"transparency.witnesses: '{w.Url}' is not an http(s) URL");
        }

        try
        {
            return new Directory.Transparency.WitnessEndpoint(url, Transparency.Witness.CosignatureVerifier.Parse(w.Vkey));
        }
        catch (Transparency.Notes.NoteFormatException e)
        {
            throw new ConfigException($"transparency.witnesses: '{w.Vkey}': {e.Message}");
        }
    }).ToList();
}
