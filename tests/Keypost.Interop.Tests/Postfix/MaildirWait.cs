namespace Keypost.Interop.Tests.Postfix;

/// <summary>Waits for a Maildir delivery: two MTAs and a queue each in between, so it is polled, never timed.</summary>
public static class MaildirWait
{
    /// <summary>The text of the first message in <paramref name="newDirectory"/>, or null when none came in time.</summary>
    public static async Task<string?> FirstMessageAsync(string newDirectory, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var file = System.IO.Directory.Exists(newDirectory) ? System.IO.Directory.EnumerateFiles(newDirectory).FirstOrDefault() : null;
            if (file is not null)
            {
                // Maildir writers rename a complete file into new/, so what is there is whole.
                return await File.ReadAllTextAsync(file);
            }

            await Task.Delay(200);
        }

        return null;
    }
}
