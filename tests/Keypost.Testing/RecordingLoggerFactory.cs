using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Keypost.Testing;

/// <summary>
/// Keeps every log entry (all levels, Debug included) so a test can wait for what the code under test reports
/// about something it cannot otherwise observe (a session ending for a given reason).
/// </summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _entries = new();
    private readonly SemaphoreSlim _logged = new(0);

    /// <summary>"Level: message" for every entry so far, exception messages appended.</summary>
    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <summary>Waits until an entry contains <paramref name="text"/>; false when <paramref name="guard"/> passes first.</summary>
    public async Task<bool> WaitForAsync(string text, TimeSpan guard)
    {
        using var timeout = new CancellationTokenSource(guard);
        while (!_entries.Any(e => e.Contains(text, StringComparison.Ordinal)))
        {
            try
            {
                await _logged.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose() => _logged.Dispose();

    private sealed class Logger(RecordingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._entries.Enqueue(logLevel + ": " + formatter(state, exception) + (exception is null ? "" : " | " + exception.Message));
            owner._logged.Release();
        }
    }
}
