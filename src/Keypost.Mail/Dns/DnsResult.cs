namespace Keypost.Mail.Dns;

/// <summary>The records of one DNS question with how the question ended; <see cref="Error"/> explains a failure.</summary>
public sealed record DnsResult<T>(DnsStatus Status, IReadOnlyList<T> Records, string? Error = null)
{
    public bool IsTemporaryFailure => Status == DnsStatus.TemporaryFailure;

    public static DnsResult<T> Failed(DnsStatus status, string error) => new(status, [], error);
}
