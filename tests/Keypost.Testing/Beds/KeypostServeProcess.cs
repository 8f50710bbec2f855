using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Keypost.Testing.Mail;

namespace Keypost.Testing.Beds;

/// <summary>
/// `keypost serve --config FILE` as a child process, started (and restarted) until an SMTP endpoint greets, and
/// killed the hard way: <see cref="Process.Kill()"/> is SIGKILL on Linux, so nothing in the server runs after it;
/// or stopped the service way with <see cref="TerminateAsync"/> (SIGTERM, the server drains).
/// </summary>
public sealed class KeypostServeProcess(string configPath, IPEndPoint probe, IReadOnlyList<string>? extraArguments = null, IReadOnlyDictionary<string, string>? environment = null) : IAsyncDisposable
{
    private const int KeptOutputLines = 200;

    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _jsonLog = new();
    private Process? _process;

    public int Starts { get; private set; }

    /// <summary>The running server's process id (for /proc/PID/status), or null when it is not running.</summary>
    public int? ProcessId => _process is { HasExited: false } running ? running.Id : null;

    /// <summary>The last lines the server wrote (stdout and stderr), for failure messages.</summary>
    public string RecentOutput => string.Join('\n', _output);

    /// <summary>Every output line that is a JSON object (the log with <c>--log-format json</c>), over all starts.</summary>
    public IReadOnlyList<string> JsonLog => _jsonLog.ToList();

    /// <summary>
    /// Sends SIGTERM (what systemd and container runtimes send) and waits for the process to exit; returns its
    /// exit code. The process is gone afterwards, so <see cref="StartAsync"/> can start it again.
    /// </summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("not running");
        var kill = await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(kill.ExitCode == 0, kill.ToString());
        using var wait = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(wait.Token);
        var code = process.ExitCode;
        process.Dispose();
        _process = null;
        return code;
    }

    /// <summary>Starts the server and waits until <c>probe</c> answers 220; a start that dies (port still held) is retried.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            _process = Launch();
            Starts++;
            while (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                if (await GreetsAsync())
                {
                    return;
                }

                await Task.Delay(100);
            }

            await Task.Delay(200);
        }

        Kill();
        throw new TimeoutException($"keypost serve did not greet on {probe} within {timeout}:\n{RecentOutput}");
    }

    /// <summary>SIGKILL, then wait for the process to be gone (bounded).</summary>
    public void Kill()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        _process.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private Process Launch()
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[KeypostCli.AssemblyPath, "serve", "--config", configPath, .. extraArguments ?? []])
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (line.StartsWith('{'))
        {
            _jsonLog.Enqueue(line);
        }

        while (_output.Count > KeptOutputLines && _output.TryDequeue(out _))
        {
        }
    }

    private async Task<bool> GreetsAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var wire = await SmtpWire.ConnectAsync(probe, timeout.Token);
            await wire.CommandAsync("QUIT", timeout.Token);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
