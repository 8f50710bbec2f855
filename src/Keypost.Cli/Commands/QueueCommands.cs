using System.CommandLine;
using System.Globalization;
using Keypost.Core.Text;
using Keypost.Mail.Queue;
using Keypost.Server.Configuration;

namespace Keypost.Cli.Commands;

/// <summary>`keypost queue list|flush|remove`: the outbound queue, as a running server sees it.</summary>
public static class QueueCommands
{
    public static Command Create() => new("queue", "Inspect and steer the mail queue.") { List(), Flush(), Remove() };

    private static Command List()
    {
        var config = ConfigOption.Create();
        var command = new Command("list", "List queued messages and each recipient's state.") { config };
        command.SetAction((result, cancellationToken) => WithQueueAsync(result.GetValue(config), async queue =>
        {
            // Streamed: each message is printed as it is read, so a long queue costs one page of memory.
            var count = 0;
            await foreach (var message in queue.StreamAsync(cancellationToken))
            {
                count++;
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{message.Id}  {message.Size,9}  {message.Created:yyyy-MM-dd HH:mm:ss}  <{message.ReversePath}>"));
                foreach (var recipient in message.Recipients)
                {
                    var error = recipient.LastError is null ? "" : "  " + DisplayText.Escape(recipient.LastError, 200);
                    await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"    {recipient.Address}  {recipient.State.ToString().ToLowerInvariant()}  attempts {recipient.Attempts}{error}"));
                }
            }

            await Console.Out.WriteLineAsync($"{count} message(s) queued");
            return 0;
        }));
        return command;
    }

    private static Command Flush()
    {
        var config = ConfigOption.Create();
        var command = new Command("flush", "Make every deferred recipient due now (a running server picks them up at its next poll).") { config };
        command.SetAction((result, cancellationToken) => WithQueueAsync(result.GetValue(config), async queue =>
        {
            var count = await queue.FlushAsync(cancellationToken);
            await Console.Out.WriteLineAsync($"{count} recipient(s) made due");
            return 0;
        }));
        return command;
    }

    private static Command Remove()
    {
        var config = ConfigOption.Create();
        var id = new Argument<string>("id") { Description = "The queue id, as 'keypost queue list' shows it" };
        var command = new Command("remove", "Remove a message from the queue without delivering it or bouncing it.") { id, config };
        command.SetAction((result, cancellationToken) => WithQueueAsync(result.GetValue(config), async queue =>
        {
            var text = result.GetValue(id)!;
            if (!await queue.RemoveAsync(text, cancellationToken))
            {
                throw new CliException($"no queued message with id '{DisplayText.Escape(text, 40)}'");
            }

            await Console.Out.WriteLineAsync($"removed {text}");
            return 0;
        }));
        return command;
    }

    private static Task<int> WithQueueAsync(string? configPath, Func<MessageQueue, Task<int>> body) => CliAction.RunAsync(async () =>
    {
        var settings = KeypostConfig.Load(ConfigOption.Resolve(configPath));
        if (settings.Storage.IsPostgres)
        {
            // The queue every node shares (docs/postgres.md): the same commands, on the database.
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(settings.Storage.ConnectionString!);
            using var shared = await MessageQueue.OpenPostgresAsync(dataSource);
            return await body(shared);
        }

        using var queue = await MessageQueue.OpenAsync(settings.QueueDirectory);
        return await body(queue);
    });
}
