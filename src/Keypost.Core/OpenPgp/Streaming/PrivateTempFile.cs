using System.Security.Cryptography;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// A scratch file for decrypted data that is not yet verified: created 0600 and unlinked at once, so only the
/// open descriptor reaches it and nothing is left behind, whatever happens to the process.
/// </summary>
internal static class PrivateTempFile
{
    public static FileStream Create(string directory)
    {
        var path = Path.Combine(directory, ".keypost-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) + ".tmp");
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            BufferSize = 0,
        });
        try
        {
            File.Delete(path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return stream;
    }
}
