namespace Keypost.Testing;

/// <summary>
/// Finds programs nobody here wrote (gpg, swaks, postfix ...). Missing is a skip on a laptop and a failure
/// in CI, where .ci/run sets KEYPOST_REQUIRE_TOOLS=1.
/// </summary>
public static class ExternalTool
{
    private static readonly string[] ExtraDirectories = ["/usr/lib/gnupg", "/usr/sbin", "/usr/lib/postfix/sbin", "/usr/bin"];

    public static bool Required => Environment.GetEnvironmentVariable("KEYPOST_REQUIRE_TOOLS") == "1";

    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(ExtraDirectories))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The tool's full path; throws (a test failure) when it is missing.</summary>
    public static string Get(string name) =>
        Find(name) ?? throw new InvalidOperationException($"required tool '{name}' is not installed (see .ci/run)");
}
