using Keypost.Core.Addresses;

namespace Keypost.Imap;

/// <summary>Counts logged-in sessions per account so one account cannot take every connection slot.</summary>
internal sealed class AccountSessionLimiter(int maxPerAccount)
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public bool TryEnter(EmailAddress account)
    {
        lock (_lock)
        {
            var count = _counts.GetValueOrDefault(account.Canonical);
            if (count >= maxPerAccount)
            {
                return false;
            }

            _counts[account.Canonical] = count + 1;
            return true;
        }
    }

    public void Leave(EmailAddress account)
    {
        lock (_lock)
        {
            if (_counts.TryGetValue(account.Canonical, out var count))
            {
                if (count <= 1)
                {
                    _counts.Remove(account.Canonical);
                }
                else
                {
                    _counts[account.Canonical] = count - 1;
                }
            }
        }
    }
}
