namespace Keypost.Core.Abuse;

/// <summary>
/// What to do after a failed login: wait <see cref="Delay"/> before answering, and close the session when
/// <see cref="AddressBlocked"/> (the address reached its limit with this failure or before).
/// </summary>
public readonly record struct LoginFailureVerdict(TimeSpan Delay, bool AddressBlocked, int AddressFailures, int AccountFailures);
