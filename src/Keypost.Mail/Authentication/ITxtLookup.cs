namespace Keypost.Mail.Authentication;

/// <summary>
/// TXT lookups, as DKIM key retrieval and DMARC policy discovery need them. Each returned string is one TXT
/// record with its character-strings already concatenated without separators (RFC 6376 §3.6.2.2,
/// RFC 7208 §3.3). Implemented by the host over the real resolver; tests use an in-memory fake.
/// </summary>
public interface ITxtLookup
{
    Task<DnsLookupResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken);
}
