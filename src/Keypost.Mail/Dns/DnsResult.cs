namespace Keypost.Mail.Dns;

/// <summary>The records of one DNS question with how the question ended; <see cref="Error"/> explains a failure.</summary>
public sealed record DnsResult<T>(DnsStatus Status, IReadOnlyList<T> Records, string? Error = null)
{
    public bool IsTemporaryFailure => Status == DnsStatus.TemporaryFailure;

    /// <summary>
    /// The resolver vouched for the answer with the AD bit (RFC 4035 §3.2.3) and it is trusted to (see
    /// <see cref="MailDnsResolverOptions.TrustAuthenticatedData"/>): a DNSSEC-secure answer, or a secure denial.
    /// </summary>
    public bool Authenticated { get; init; }

    public static DnsResult<T> Failed(DnsStatus status, string error) => new(status, [], error);
}
