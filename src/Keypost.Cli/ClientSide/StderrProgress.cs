namespace Keypost.Cli.ClientSide;

/// <summary>Progress of long operations, on stderr only: stdout carries the result and nothing else.</summary>
public sealed class StderrProgress : IProgress<string>
{
    public void Report(string value) => Console.Error.WriteLine("keypost: " + value);
}
