using Keypost.Testing;

namespace Keypost.Interop.Tests.Reading;

/// <summary>
/// A terminal program (mutt) run inside a private tmux server (its own socket), read with capture-pane and driven
/// with send-keys. Disposing kills that tmux server only.
/// </summary>
public sealed class TmuxTerminal : IAsyncDisposable
{
    private readonly string _socket;

    private TmuxTerminal(string socket) => _socket = socket;

    /// <summary>Starts <paramref name="command"/> (a shell command line) in a detached 160x50 session.</summary>
    public static async Task<TmuxTerminal> StartAsync(string socket, string command)
    {
        var terminal = new TmuxTerminal(socket);
        var result = await terminal.TmuxAsync("new-session", "-d", "-s", "keypost", "-x", "160", "-y", "50", command);
        Assert.True(result.ExitCode == 0, $"tmux new-session\n{result}");
        return terminal;
    }

    public async Task<string> CaptureAsync() => (await TmuxAsync("capture-pane", "-p", "-t", "keypost")).StandardOutput;

    public async Task SendKeysAsync(params string[] keys) => await TmuxAsync(["send-keys", "-t", "keypost", .. keys]);

    /// <summary>
    /// The screen once <paramref name="done"/> holds for it, or the last screen after <paramref name="patience"/>
    /// (the assertion that follows then fails with what was on screen).
    /// </summary>
    public async Task<string> WaitForAsync(Func<string, bool> done, TimeSpan patience)
    {
        var screen = "";
        for (var waited = TimeSpan.Zero; waited < patience; waited += TimeSpan.FromMilliseconds(200))
        {
            screen = await CaptureAsync();
            if (done(screen))
            {
                return screen;
            }

            await Task.Delay(200);
        }

        return screen;
    }

    private Task<ProcessResult> TmuxAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("tmux", ["-S", _socket, .. arguments], timeout: TimeSpan.FromSeconds(20));

    public async ValueTask DisposeAsync() => await TmuxAsync("kill-server");
}
