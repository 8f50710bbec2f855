namespace Keypost.Mail.Authentication;

/// <summary>The answer to one DNS query: a status and, when <see cref="DnsLookupStatus.Found"/>, the records.</summary>
public sealed record DnsLookupResult<T>(DnsLookupStatus Status, IReadOnlyList<T> Records)
{
    public static DnsLookupResult<T> Found(IReadOnlyList<T> records) =>
        records.Count == 0 ? NotFound() : new(DnsLookupStatus.Found, records);

    public static DnsLookupResult<T> NotFound() => new(DnsLookupStatus.NotFound, []);

    public static DnsLookupResult<T> TemporaryError() => new(DnsLookupStatus.TemporaryError, []);
}
