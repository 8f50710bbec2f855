using System.Threading.Channels;

namespace Keypost.Mail.Queue;

/// <summary>
/// Group commit: work items wait here, and one leader commits a batch of them together, then releases every caller.
/// For acceptance the items are messages whose bytes are written (one fsync of the data directory, one SQLite
/// transaction per batch); for delivery outcomes, records (one transaction per batch). Under load the cost of a
/// commit is shared by all callers arriving at the same moment; a leader starting from idle waits at most
/// <c>window</c> for others, while items that queued during a commit are committed next without waiting.
/// </summary>
internal sealed class GroupCommitter<T> : IDisposable
{
    private readonly Channel<Pending> pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<T>, Task> commit;
    private readonly TimeSpan window;
    private readonly int maxBatch;
    private readonly Task loop;

    public GroupCommitter(Func<IReadOnlyList<T>, Task> commit, TimeSpan window, int maxBatch)
    {
        this.commit = commit;
        this.window = window;
        this.maxBatch = maxBatch;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Completes once <paramref name="item"/> is committed with its batch; faults if the batch failed.</summary>
    public Task CommitAsync(T item)
    {
        var waiter = new Pending(item, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!pending.Writer.TryWrite(waiter))
        {
            throw new ObjectDisposedException(nameof(MessageQueue));
        }

        return waiter.Done.Task;
    }

    public void Dispose()
    {
        // What is already waiting is still committed: the loop drains the channel before it ends.
        pending.Writer.TryComplete();
        loop.GetAwaiter().GetResult();
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(maxBatch);
        var backlog = false;
        while (await pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            Drain(batch);
            // Only a leader starting from idle waits the window for company. Items that queued up while the last
            // commit ran have waited one commit already and go at once: under load the commit itself gathers the
            // next batch. (Measured with 20 sessions on a loaded machine: the 2 ms window's timer fired after 12-17
            // ms, since its callback and the continuation wait for a pool thread, and every batch paid that.)
            if (!backlog && batch.Count < maxBatch && window > TimeSpan.Zero)
            {
                await GatherAsync(batch).ConfigureAwait(false);
            }

            try
            {
                await commit(batch.ConvertAll(p => p.Message)).ConfigureAwait(false);
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception e)
            {
                // Every caller in the batch sees the failure and answers its client with a temporary error.
                batch.ForEach(p => p.Done.TrySetException(e));
            }

            backlog = pending.Reader.TryPeek(out _);
        }
    }

    // The leader waits up to the window for more sessions to join, or until the batch is full.
    private async Task GatherAsync(List<Pending> batch)
    {
        using var timeout = new CancellationTokenSource(window);
        while (batch.Count < maxBatch)
        {
            // The window closing is the usual end of a gathering, not an error: no exception thrown per batch.
            var more = pending.Reader.WaitToReadAsync(timeout.Token).AsTask();
            await ((Task)more).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!more.IsCompletedSuccessfully || !more.Result)
            {
                return;
            }

            Drain(batch);
        }
    }

    private void Drain(List<Pending> batch)
    {
        while (batch.Count < maxBatch && pending.Reader.TryRead(out var next))
        {
            batch.Add(next);
        }
    }

    private sealed record Pending(T Message, TaskCompletionSource Done);
}
