using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Keypost.Fuzz.Support;

/// <summary>Keeps what a session logged at Error or above: a command that failed inside the server is a finding.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<(string Message, Exception? Exception)> _errors = new();

    public IReadOnlyList<(string Message, Exception? Exception)> Errors => _errors.ToArray();

    public void Clear() => _errors.Clear();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Error)
        {
            _errors.Enqueue((formatter(state, exception), exception));
        }
    }

    /// <summary>Throws the first error recorded, if any.</summary>
    public void ThrowIfAny()
    {
        if (_errors.TryPeek(out var error))
        {
            throw new FuzzFindingException("logged inside the server: " + error.Message, error.Exception);
        }
    }
}
