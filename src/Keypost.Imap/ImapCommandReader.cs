using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Keypost.Imap;

/// <summary>Reads one command with its literals (RFC 9051 §4.3, RFC 7888 LITERAL+), within the configured bounds.</summary>
internal sealed partial class ImapCommandReader(ImapConnection connection, ImapListenerOptions options)
{
    /// <summary>Literals a client that has not logged in may send: enough for credentials, too little to hog memory.</summary>
    public const int PreAuthLiteralOctets = 8 * 1024;

    /// <summary>The largest literal total accepted now; raised to the message size limit after login.</summary>
    public long MaxLiteralOctets { get; set; } = PreAuthLiteralOctets;

    /// <summary>Null at end of stream.</summary>
    public async Task<ImapRawCommand?> ReadAsync(CancellationToken cancellationToken)
    {
        var parts = new List<object>();
        var textOctets = 0;
        long literalOctets = 0;
        string? tag = null;
        while (true)
        {
            var line = await connection.ReadLineAsync(options.MaxCommandOctets - textOctets, cancellationToken);
            if (line is null)
            {
                return null;
            }

            textOctets += line.Length;
            var text = Encoding.UTF8.GetString(line);
            tag ??= TagOf(text);
            parts.Add(text);
            var marker = LiteralMarker().Match(text);
            if (!marker.Success)
            {
                return new ImapRawCommand(parts, tag, null, false);
            }

            var nonSynchronizing = marker.Groups[2].Success;
            if (!long.TryParse(marker.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                || size + literalOctets > Math.Min(MaxLiteralOctets, options.MaxMessageSize))
            {
                // RFC 7888 §4: a non-synchronizing literal over the limit is already on its way; the only safe
                // answer is BAD and closing. A synchronizing one is refused before the client sends it.
                return new ImapRawCommand(parts, tag, "[TOOBIG] literal too large", nonSynchronizing);
            }

            if (!nonSynchronizing)
            {
                connection.WriteLine("+ Ready for literal data");
                await connection.FlushAsync(cancellationToken);
            }

            var literal = await connection.ReadExactAsync((int)size, cancellationToken);
            if (literal is null)
            {
                return null;
            }

            literalOctets += size;
            parts.Add(literal);
        }
    }

    private static string TagOf(string text)
    {
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var tag = space < 0 ? text : text[..space];
        return ImapTokenizer.IsValidTag(tag) ? tag : "*";
    }

    [GeneratedRegex(@"\{([0-9]{1,19})(\+)?\}$", RegexOptions.CultureInvariant)]
    private static partial Regex LiteralMarker();
}
