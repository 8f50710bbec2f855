using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Keypost.Store;

/// <summary>
/// Makes file data and directory entries survive a power cut. .NET flushes file contents (fsync via
/// <see cref="FileStream.Flush(bool)"/>) but has no call to fsync a directory, which is what makes a newly
/// created or renamed name durable (POSIX fsync; see also the Maildir spec's "rename, then fsync the directory").
/// </summary>
internal static class DurableFiles
{
    private const int ReadOnly = 0; // O_RDONLY
    private const int Directory = 0x10000; // O_DIRECTORY on Linux
    private const int CloseOnExec = 0x80000; // O_CLOEXEC on Linux

    /// <summary>Copies <paramref name="source"/> into a new file and fsyncs it before returning; returns the bytes written.</summary>
    public static Task<long> WriteNewFileAsync(string path, Stream source, ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken)
    {
        if (source is not (MemoryStream or FileStream))
        {
            return WriteNewFileAsync(
                path,
                async (file, ct) =>
                {
                    await file.WriteAsync(prefix, ct).ConfigureAwait(false);
                    await source.CopyToAsync(file, ct).ConfigureAwait(false);
                },
                cancellationToken);
        }

        // From memory or a local file (a queued message) into the page cache: written in place, unbuffered and
        // closed synchronously. An async file write on Linux is a synchronous one on another pool thread, one hop
        // per write, the fsync after it blocks this thread anyway, and an asynchronous close allocated a lock and
        // a buffer per message (issue #14, a delivery per message in bench/smtp).
        using var file = CreateNew(path, FileOptions.None, bufferSize: 0);
        if (source is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            // The prefix (a Return-Path line) and the message in one pwritev(2).
            var body = buffer.AsMemory((int)memory.Position);
            RandomAccess.Write(file.SafeFileHandle, [prefix, body], fileOffset: 0);
            memory.Seek(0, SeekOrigin.End);
        }
        else
        {
            file.Write(prefix.Span);
            source.CopyTo(file);
        }

        file.Flush(flushToDisk: true);
        return Task.FromResult(file.Length);
    }

    /// <summary>
    /// Creates a new file, lets <paramref name="write"/> stream the content into it and fsyncs it before returning;
    /// returns the bytes written. Lets a writer (e.g. a parsed message) go to disk without a whole copy in memory.
    /// </summary>
    public static async Task<long> WriteNewFileAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await using var file = CreateNew(path);
        await write(file, cancellationToken).ConfigureAwait(false);
        // What is left in the stream's buffer is at most its size: written here, then fsynced.
        file.Flush(flushToDisk: true);
        return file.Length;
    }

    /// <summary>Creates a new file for writing, readable by the owner only (mail is private); fails if it exists.</summary>
    public static FileStream CreateNew(string path) => CreateNew(path, FileOptions.Asynchronous, bufferSize: 4096);

    private static FileStream CreateNew(string path, FileOptions fileOptions, int bufferSize)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = fileOptions,
            BufferSize = bufferSize,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    /// <summary>fsync a directory so the names created, renamed or removed in it are on disk.</summary>
    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            // Other systems: best effort; the server runs on Linux.
            return;
        }

        var fd = Open(path, ReadOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory '{path}' to sync it", new Win32Exception(Marshal.GetLastPInvokeError()));
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{path}' failed", new Win32Exception(Marshal.GetLastPInvokeError()));
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Creates a directory (and parents) and makes each newly created level durable in its parent.</summary>
    public static void CreateDirectoryDurably(string path)
    {
        var full = Path.GetFullPath(path);
        if (System.IO.Directory.Exists(full))
        {
            return;
        }

        var parent = Path.GetDirectoryName(full);
        if (parent is not null)
        {
            CreateDirectoryDurably(parent);
        }

        System.IO.Directory.CreateDirectory(full);
        if (parent is not null)
        {
            SyncDirectory(parent);
        }
    }

    // DllImport rather than LibraryImport: the source-generated form needs AllowUnsafeBlocks for the whole project.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
