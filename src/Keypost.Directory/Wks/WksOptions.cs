namespace Keypost.Directory.Wks;

/// <summary>Limits of the Web Key Service; validated where the server's options are.</summary>
public sealed class WksOptions
{
    /// <summary>How long a confirmation request's nonce can be answered.</summary>
    public TimeSpan NonceLifetime { get; init; } = TimeSpan.FromDays(2);

    /// <summary>WKS messages one client (IP address) may send per minute; the rest are refused until the minute ends.</summary>
    public int MessagesPerClientPerMinute { get; init; } = 10;

    /// <summary>Key submissions per address per hour: each one mails the address a confirmation request.</summary>
    public int SubmissionsPerAddressPerHour { get; init; } = 5;

    /// <summary>A WKS message is a key and a few lines; anything larger is refused before parsing.</summary>
    public int MaxMessageBytes { get; init; } = 256 * 1024;
}
