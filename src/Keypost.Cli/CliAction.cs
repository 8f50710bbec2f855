using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory;
using Keypost.Server.Configuration;

namespace Keypost.Cli;

/// <summary>
/// Runs a command body and turns the errors a user can cause into one line on stderr and exit code 1 (2 for a
/// <see cref="CliUsageException"/>); KEYPOST_DEBUG=1 shows the whole exception.
/// </summary>
public static class CliAction
{
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("keypost: cancelled");
            return 130;
        }
        catch (CliUsageException e)
        {
            await ReportAsync(e);
            return 2;
        }
        catch (Exception e) when (e is AddressFormatException or OpenPgpException or DirectoryException or ConfigException
                                      or IOException or UnauthorizedAccessException or CliException)
        {
            await ReportAsync(e);
            return 1;
        }
        catch (Exception e)
        {
            await ReportAsync(e);
            return 70; // EX_SOFTWARE (sysexits.h): a bug, not a usage error.
        }
    }

    private static Task ReportAsync(Exception e) =>
        Console.Error.WriteLineAsync(Environment.GetEnvironmentVariable("KEYPOST_DEBUG") == "1"
            ? "keypost: " + e
            : "keypost: " + e.Message.ReplaceLineEndings(" "));
}
