using System.Runtime.InteropServices;

namespace Keypost.Server.Hosting;

/// <summary>The C library's heap: glibc keeps freed native memory (SQLite's caches, OpenSSL's buffers) in its arenas.</summary>
internal static partial class NativeHeap
{
    /// <summary>
    /// Returns the free pages of every glibc arena to the kernel (malloc_trim(3): since glibc 2.8 all arenas, not
    /// only the top of the main one). False where there is no glibc (musl, other systems): nothing to do there.
    /// </summary>
    public static bool TryTrim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (EntryPointNotFoundException)
        {
            // musl has no malloc_trim: its heap returns memory by itself.
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
