namespace Keypost.Interop.Tests.Transport;

/// <summary>Reading what delivery left in a Maildir (new/ and cur/), polling with a bound.</summary>
public static class Maildirs
{
    public static IReadOnlyList<string> Files(string maildir) =>
        ((string[])["new", "cur"])
            .Select(sub => Path.Combine(maildir, sub))
            .Where(System.IO.Directory.Exists)
            .SelectMany(System.IO.Directory.EnumerateFiles)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The text of the first message that satisfies <paramref name="match"/>, or null when none came in time.</summary>
    public static async Task<string?> WaitForMessageAsync(string maildir, Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var file in Files(maildir))
            {
                var text = await File.ReadAllTextAsync(file);
                if (match(text))
                {
                    return text;
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                return null;
            }

            await Task.Delay(100);
        }
    }
}
