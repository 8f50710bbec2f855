namespace Keypost.Transparency.Lookup;

/// <summary>Where a mail domain's log lives beside its WKD, and its checkpoint origin (docs/transparency.md).</summary>
public static class LogLocation
{
    /// <summary>C2SP tlog-tiles: the origin is the scheme-less URL prefix of the log (advanced-method host).</summary>
    public static string Origin(string domain) => $"openpgpkey.{domain}/.well-known/openpgpkey/{domain}/log";

    /// <summary>The log's URL prefix, ending in '/': advanced method (openpgpkey.D) or direct (D), like WKD.</summary>
    public static Uri Prefix(string domain, bool advanced) => advanced
        ? new Uri($"https://openpgpkey.{domain}/.well-known/openpgpkey/{domain}/log/")
        : new Uri($"https://{domain}/.well-known/openpgpkey/log/");
}
