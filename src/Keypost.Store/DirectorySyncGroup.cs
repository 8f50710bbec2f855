namespace Keypost.Store;

/// <summary>
/// Group commit for directory fsyncs: deliveries that renamed into the same directory at about the same time share
/// one fsync of it. A caller's rename is covered only by an fsync that starts after the rename, so a caller that
/// arrives while one is running waits for the next, which then serves everyone who arrived meanwhile. Alone, a
/// caller pays exactly one fsync, as before; under load, N parallel deliveries into one Maildir pay about two.
/// </summary>
internal sealed class DirectorySyncGroup
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Round> busy = new(StringComparer.Ordinal);

    /// <summary>Completes once an fsync of <paramref name="directory"/> that started after this call has finished.</summary>
    public Task SyncAsync(string directory)
    {
        lock (gate)
        {
            if (busy.TryGetValue(directory, out var round))
            {
                round.Next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return round.Next.Task;
            }

            busy[directory] = new Round();
        }

        // The first caller syncs on its own thread, as an ungrouped delivery would.
        try
        {
            DurableFiles.SyncDirectory(directory);
        }
        finally
        {
            ServeWaiters(directory);
        }

        return Task.CompletedTask;
    }

    // Whoever joined during the fsync just finished gets one more, started now, on a pool thread (the caller that
    // led has its answer already and goes on with its delivery); repeated until no one is waiting.
    private void ServeWaiters(string directory)
    {
        if (TakeWaiters(directory) is { } waiting)
        {
            _ = Task.Run(() => ServeRounds(directory, waiting));
        }
    }

    private void ServeRounds(string directory, TaskCompletionSource? waiting)
    {
        while (waiting is not null)
        {
            try
            {
                DurableFiles.SyncDirectory(directory);
                waiting.SetResult();
            }
            catch (Exception e)
            {
                // Each waiter's delivery fails with the error and stays queued for a retry.
                waiting.SetException(e);
            }

            waiting = TakeWaiters(directory);
        }
    }

    // The waiters of the next round, or null after marking the directory idle.
    private TaskCompletionSource? TakeWaiters(string directory)
    {
        lock (gate)
        {
            var round = busy[directory];
            var waiting = round.Next;
            round.Next = null;
            if (waiting is null)
            {
                busy.Remove(directory);
            }

            return waiting;
        }
    }

    private sealed class Round
    {
        public TaskCompletionSource? Next { get; set; }
    }
}
