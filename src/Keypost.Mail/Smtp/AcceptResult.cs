namespace Keypost.Mail.Smtp;

/// <summary>The reply to the end of DATA: 250 only once the message is durably stored.</summary>
public sealed record AcceptResult(int Code, string EnhancedCode, string Text)
{
    public bool IsSuccess => Code is >= 200 and < 300;

    /// <summary>The queue id of the stored message, when it was stored: the key that ties the log lines together.</summary>
    public string? QueueId { get; init; }

    public static AcceptResult Queued(string id) => new(250, "2.0.0", $"Ok: queued as {id}") { QueueId = id };
}
