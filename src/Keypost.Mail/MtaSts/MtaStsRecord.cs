namespace Keypost.Mail.MtaSts;

/// <summary>The <c>_mta-sts</c> TXT record (RFC 8461 §3.1): "v=STSv1; id=...".</summary>
internal static class MtaStsRecord
{
    /// <summary>
    /// The policy id from the TXT records of <c>_mta-sts.&lt;domain&gt;</c>. RFC 8461 §3.1: records not starting with
    /// "v=STSv1;" are ignored, and more than one such record means no valid record. Null when there is none.
    /// </summary>
    public static string? FindId(IEnumerable<string> txtRecords)
    {
        var candidates = txtRecords.Where(t => t.StartsWith("v=STSv1", StringComparison.Ordinal)).ToList();
        if (candidates.Count != 1)
        {
            return null;
        }

        foreach (var field in candidates[0].Split(';'))
        {
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = field[..eq].Trim();
            var value = field[(eq + 1)..].Trim();
            // RFC 8461 §3.1: id is 1*32(ALPHA / DIGIT).
            if (key == "id")
            {
                return value.Length is > 0 and <= 32 && value.All(char.IsAsciiLetterOrDigit) ? value : null;
            }
        }

        return null;
    }
}
