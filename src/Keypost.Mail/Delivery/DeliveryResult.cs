using System.Text.RegularExpressions;

namespace Keypost.Mail.Delivery;

/// <summary>
/// What happened to one recipient in one attempt: an RFC 3463 status (e.g. 5.1.1), an RFC 3464 diagnostic
/// (e.g. "smtp; 550 5.1.1 no such user") and the remote MTA when there was one.
/// </summary>
internal sealed partial record DeliveryResult(int Index, DeliveryResultKind Kind, string Status, string Diagnostic, string? RemoteMta = null)
{
    public static DeliveryResult Delivered(int index, string? remoteMta = null) =>
        new(index, DeliveryResultKind.Delivered, "2.0.0", "smtp; 250 ok", remoteMta);

    public static DeliveryResult Temporary(int index, string status, string text, string? remoteMta = null) =>
        new(index, DeliveryResultKind.Temporary, status, "x-keypost; " + text, remoteMta);

    public static DeliveryResult Permanent(int index, string status, string text, string? remoteMta = null) =>
        new(index, DeliveryResultKind.Permanent, status, "x-keypost; " + text, remoteMta);

    /// <summary>From an SMTP reply: 4xx temporary, 5xx permanent (RFC 5321 §4.2.1); the enhanced code when the reply has one (RFC 2034).</summary>
    public static DeliveryResult FromReply(int index, int code, string text, string remoteMta)
    {
        var kind = code is >= 200 and < 300 ? DeliveryResultKind.Delivered
            : code is >= 400 and < 500 ? DeliveryResultKind.Temporary
            : DeliveryResultKind.Permanent;
        var match = EnhancedCode().Match(text);
        var status = match.Success ? match.Value : kind switch
        {
            DeliveryResultKind.Delivered => "2.0.0",
            DeliveryResultKind.Temporary => "4.0.0",
            _ => "5.0.0",
        };
        var oneLine = text.ReplaceLineEndings(" ").Trim();
        return new DeliveryResult(index, kind, status, $"smtp; {code} {oneLine}", remoteMta);
    }

    [GeneratedRegex(@"^[245]\.\d{1,3}\.\d{1,3}")]
    private static partial Regex EnhancedCode();
}
