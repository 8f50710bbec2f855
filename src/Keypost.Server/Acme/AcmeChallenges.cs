using System.Collections.Concurrent;

namespace Keypost.Server.Acme;

/// <summary>
/// The http-01 answers pending right now: token to key authorization (RFC 8555 §8.3), shared by the ACME client
/// that sets them and the HTTP listener that serves /.well-known/acme-challenge/TOKEN.
/// </summary>
public sealed class AcmeChallenges
{
    public const string PathPrefix = "/.well-known/acme-challenge/";

    private readonly ConcurrentDictionary<string, string> _answers = new(StringComparer.Ordinal);

    public void Add(string token, string keyAuthorization) => _answers[token] = keyAuthorization;

    public void Remove(string token) => _answers.TryRemove(token, out _);

    public string? Find(string token) => _answers.TryGetValue(token, out var answer) ? answer : null;
}
