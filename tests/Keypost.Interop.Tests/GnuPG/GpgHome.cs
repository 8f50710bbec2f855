using Keypost.Testing;

namespace Keypost.Interop.Tests.GnuPG;

/// <summary>
/// A throw-away GnuPG home: every gpg call runs in batch mode with loopback pinentry, and disposing kills the
/// agent it started (gpgconf --kill all) before removing the directory.
/// </summary>
public sealed class GpgHome : IAsyncDisposable
{
    private readonly TempDirectory directory = new("keypost-gpg");

    public GpgHome()
    {
        // gpg warns about a home directory that others can read.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Path => directory.Path;

    public string PathOf(string name) => directory.Combine(name);

    private Dictionary<string, string> Environment => new() { ["GNUPGHOME"] = directory.Path };

    /// <summary>Runs gpg and fails the test unless it exits 0.</summary>
    public async Task<ProcessResult> GpgAsync(params string[] arguments)
    {
        var result = await TryGpgAsync(arguments);
        Assert.True(result.ExitCode == 0, $"gpg {string.Join(' ', arguments)}\n{result}");
        return result;
    }

    public Task<ProcessResult> TryGpgAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(
            "gpg",
            ["--batch", "--pinentry-mode", "loopback", "--no-tty", .. arguments],
            environment: Environment,
            timeout: TimeSpan.FromSeconds(60));

    /// <summary>Generates a key with gpg --quick-gen-key and returns its fingerprint.</summary>
    public async Task<string> QuickGenKeyAsync(string userId, string algorithm, string usage, string expiry = "2y", params string[] extra)
    {
        await GpgAsync([.. extra, "--passphrase", "", "--quick-gen-key", userId, algorithm, usage, expiry]);
        var listing = await GpgAsync([.. extra, "--with-colons", "--list-keys", userId]);
        return Colons.Fingerprints(listing.StandardOutput)[0];
    }

    public async Task<byte[]> ExportAsync(string fingerprint)
    {
        var path = PathOf(fingerprint + ".pgp");
        await GpgAsync("--output", path, "--export", fingerprint);
        return await System.IO.File.ReadAllBytesAsync(path);
    }

    public async Task ImportAsync(byte[] data, params string[] extra)
    {
        var path = PathOf(Guid.NewGuid().ToString("N") + ".import");
        await System.IO.File.WriteAllBytesAsync(path, data);
        await GpgAsync([.. extra, "--import", path]);
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("gpgconf", ["--kill", "all"], environment: Environment, timeout: TimeSpan.FromSeconds(20));
        directory.Dispose();
    }
}
