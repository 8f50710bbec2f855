using System.Collections.Concurrent;
using Keypost.Mail.Smtp;

namespace Keypost.Testing.Mail;

/// <summary>Keeps every message it is given; can be told to answer otherwise or to throw.</summary>
public sealed class RecordingAcceptor : IMessageAcceptor
{
    private readonly ConcurrentQueue<ReceivedMessage> _messages = new();
    private int _next;

    public Func<AcceptResult>? Result { get; set; }

    public bool Throw { get; set; }

    /// <summary>When set, thrown instead of accepting (Throw throws an IOException).</summary>
    public Exception? Failure { get; set; }

    public IReadOnlyList<ReceivedMessage> Messages => _messages.ToArray();

    public async Task<AcceptResult> AcceptAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        if (Failure is { } failure)
        {
            throw failure;
        }

        if (Throw)
        {
            throw new IOException("disk full");
        }

        using var copy = new MemoryStream();
        await message.CopyToAsync(copy, cancellationToken);
        var result = Result?.Invoke() ?? AcceptResult.Queued("Q" + Interlocked.Increment(ref _next));
        if (result.IsSuccess)
        {
            _messages.Enqueue(new ReceivedMessage(session, envelope, copy.ToArray()));
        }

        return result;
    }
}
