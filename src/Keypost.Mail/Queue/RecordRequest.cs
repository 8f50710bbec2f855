namespace Keypost.Mail.Queue;

/// <summary>One delivery attempt's outcomes waiting to be recorded with others in one transaction.</summary>
internal sealed class RecordRequest(string id, IReadOnlyList<RecipientOutcome> outcomes)
{
    public string Id { get; } = id;

    public IReadOnlyList<RecipientOutcome> Outcomes { get; } = outcomes;

    /// <summary>Set by the commit: every recipient is final and the message left the queue.</summary>
    public bool Done { get; set; }

    /// <summary>Set by the commit with <see cref="Done"/>: the message's bytes were in the database, not a data file.</summary>
    public bool InlineData { get; set; }
}
