using System.Text;
using Keypost.Core.Addresses;
using Keypost.Mail.Queue;
using Keypost.Testing;

namespace Keypost.Mail.Tests.Queue;

/// <summary>Group commit (issue #14): acceptances that meet share one commit, and none is released before it.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Messages_arriving_during_a_commit_share_the_next_one_and_wait_for_it()
    {
        var batches = new List<int>();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var committer = new GroupCommitter<QueuedMessage>(
            async batch =>
            {
                lock (batches)
                {
                    batches.Add(batch.Count);
                }

                firstStarted.TrySetResult();
                await release.Task;
            },
            TimeSpan.Zero,
            maxBatch: 64);

        var first = committer.CommitAsync(Message("first"));
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = Enumerable.Range(0, 10).Select(i => committer.CommitAsync(Message("m" + i))).ToList();

        // Nothing is acknowledged while its commit has not finished.
        Assert.False(first.IsCompleted);
        Assert.All(waiting, t => Assert.False(t.IsCompleted));

        release.SetResult();
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([1, 10], batches);
    }

    [Fact]
    public async Task A_window_that_closes_with_no_one_else_commits_the_lone_message()
    {
        var batches = new List<int>();
        using var committer = new GroupCommitter<QueuedMessage>(
            batch =>
            {
                lock (batches)
                {
                    batches.Add(batch.Count);
                }

                return Task.CompletedTask;
            },
            TimeSpan.FromMilliseconds(20),
            maxBatch: 64);

        // The leader waits out the window for company; its closing is the normal end of a gathering, not a fault.
        await committer.CommitAsync(Message("alone")).WaitAsync(TimeSpan.FromSeconds(30));
        await committer.CommitAsync(Message("alone again")).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([1, 1], batches);
    }

    [Fact]
    public async Task Messages_that_queued_during_a_commit_are_committed_without_waiting_the_window()
    {
        var batches = new List<int>();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A window no test would outwait: only a full batch or a backlog can start a commit here.
        using var committer = new GroupCommitter<QueuedMessage>(
            async batch =>
            {
                lock (batches)
                {
                    batches.Add(batch.Count);
                }

                firstStarted.TrySetResult();
                await release.Task;
            },
            TimeSpan.FromHours(1),
            maxBatch: 2);

        var first = new[] { committer.CommitAsync(Message("a")), committer.CommitAsync(Message("b")) };
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var queued = Enumerable.Range(0, 3).Select(i => committer.CommitAsync(Message("m" + i))).ToList();
        Assert.All(queued, t => Assert.False(t.IsCompleted));

        release.SetResult();
        await Task.WhenAll(first.Concat(queued)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([2, 2, 1], batches);
    }

    [Fact]
    public async Task A_failed_commit_fails_every_message_in_its_batch()
    {
        var calls = 0;
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var committer = new GroupCommitter<QueuedMessage>(
            async batch =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    firstStarted.TrySetResult();
                    await release.Task;
                    return;
                }

                throw new IOException("disk full");
            },
            TimeSpan.Zero,
            maxBatch: 64);

        var first = committer.CommitAsync(Message("first"));
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var failing = Enumerable.Range(0, 5).Select(i => committer.CommitAsync(Message("m" + i))).ToList();
        release.SetResult();
        await first.WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var task in failing)
        {
            await Assert.ThrowsAsync<IOException>(() => task.WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task Concurrent_enqueues_are_all_durable_after_reopen()
    {
        using var dir = new TempDirectory();
        var envelope = new QueueEnvelope(EmailAddress.Parse("leia@rebel.test"), [EmailAddress.Parse("luke@jedi.test")]);
        string[] ids;
        using (var queue = await MessageQueue.OpenAsync(dir.Path, new MessageQueueOptions { GroupCommitWindow = TimeSpan.FromMilliseconds(5) }))
        {
            ids = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
                queue.EnqueueAsync(envelope, new MemoryStream(Encoding.ASCII.GetBytes($"Subject: {i}\r\n\r\n{i}\r\n")), CancellationToken.None)));
        }

        using var reopened = await MessageQueue.OpenAsync(dir.Path);
        Assert.Equal(ids.Order(), (await reopened.ListAsync(CancellationToken.None)).Select(m => m.Id).Order());
        Assert.Equal(40, reopened.Depth);
    }

    [Fact]
    public async Task A_window_out_of_range_is_refused_at_open()
    {
        using var dir = new TempDirectory();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => MessageQueue.OpenAsync(dir.Path, new MessageQueueOptions { GroupCommitWindow = TimeSpan.FromSeconds(1) }));
    }

    private static QueuedMessage Message(string id) =>
        new(id, null, false, false, 1, DateTimeOffset.UnixEpoch, []);
}
