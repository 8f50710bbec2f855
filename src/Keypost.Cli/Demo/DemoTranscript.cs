using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keypost.Cli.Demo;

/// <summary>
/// What the demo did, act by act and step by step. Shown as it happens (stdout, colour only on a terminal) or, with
/// <c>--json</c>, kept for one JSON document at the end while waits are reported on stderr. The exit code is 0 only if
/// every step did what it should.
/// </summary>
public sealed class DemoTranscript(TextWriter output, TextWriter progress, bool json, bool colour)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly List<DemoAct> _acts = [];

    public bool Succeeded => _acts.All(a => a.Steps.All(s => s.Ok));

    public int Failures => _acts.Sum(a => a.Steps.Count(s => !s.Ok));

    public async Task ActAsync(string title)
    {
        _acts.Add(new DemoAct(title, []));
        if (!json)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync(Paint(title, "1"));
        }
    }

    /// <summary>A step that did what it should; <paramref name="id"/> is stable, for scripts reading the JSON.</summary>
    public Task OkAsync(string id, string text, params IReadOnlyList<string> details) => AddAsync(new DemoStep(id, true, text, details));

    public Task FailAsync(string id, string text, params IReadOnlyList<string> details) => AddAsync(new DemoStep(id, false, text, details));

    public Task CheckAsync(string id, bool ok, string text, params IReadOnlyList<string> details) => AddAsync(new DemoStep(id, ok, text, details));

    /// <summary>A wait the reader should know about: on stderr, never part of the transcript.</summary>
    public Task WaitingAsync(string text) => progress.WriteLineAsync(Paint("  ..  " + text, "2"));

    public async Task FinishAsync()
    {
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { ok = Succeeded, failures = Failures, acts = _acts }, JsonOptions));
            return;
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync(Succeeded ? Paint("demo: every step succeeded", "32") : Paint($"demo: {Failures} step(s) FAILED", "31"));
    }

    private async Task AddAsync(DemoStep step)
    {
        if (_acts.Count == 0)
        {
            _acts.Add(new DemoAct("Setup", []));
        }

        _acts[^1].Steps.Add(step);
        if (json)
        {
            return;
        }

        await output.WriteLineAsync((step.Ok ? Paint("  ok  ", "32") : Paint("  FAIL ", "31")) + step.Text);
        foreach (var detail in step.Details)
        {
            await output.WriteLineAsync("      " + detail);
        }
    }

    // ECMA-48 SGR: only when writing to a terminal, and never when NO_COLOR is set (no-color.org).
    private string Paint(string text, string sgr) => colour ? $"\u001b[{sgr}m{text}\u001b[0m" : text;

    private sealed record DemoAct(string Title, List<DemoStep> Steps);

    private sealed record DemoStep(string Id, bool Ok, string Text, IReadOnlyList<string> Details);
}
