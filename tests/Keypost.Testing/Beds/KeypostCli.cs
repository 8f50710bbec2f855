namespace Keypost.Testing.Beds;

/// <summary>Runs the built `keypost` command (the Cli assembly beside the tests) as a separate process.</summary>
public static class KeypostCli
{
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "keypost.dll");

    public static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, string? standardInput = null, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync("dotnet", [AssemblyPath, .. arguments], standardInput, environment, TimeSpan.FromSeconds(120), workingDirectory);
}
