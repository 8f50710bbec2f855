using System.Globalization;
using Npgsql;

namespace Keypost.Testing.Postgres;

/// <summary>
/// A private PostgreSQL cluster for the tests of one process: initdb in a temporary directory, the server on its own
/// loopback port with its unix socket in that directory, stopped and removed when the process exits. One cluster per
/// test run (started on first use); each test class gets its own database (<see cref="PostgresDatabase"/>).
/// initdb and postgres refuse to run as root, so as root (the tests' case here and in CI) they run as the
/// <c>postgres</c> system user, which owns the directory.
/// </summary>
public sealed class PostgresCluster
{
    public const string SuperUser = "keypost";

    private const string DirectoryPrefix = "keypost-pg-";
    private const string OwnerFile = "owner.pid";

    // One cluster per test process, started on first use: tests in many classes share it (cheap start, one initdb).
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asPostgresUser;

    private PostgresCluster(string directory, string bin, bool asPostgresUser, int port)
    {
        _directory = directory;
        _bin = bin;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The server binaries' directory (the newest /usr/lib/postgresql/N/bin), or null when not installed.</summary>
    public static string? BinDirectory
    {
        get
        {
            const string root = "/usr/lib/postgresql";
            if (!System.IO.Directory.Exists(root))
            {
                return null;
            }

            return System.IO.Directory.EnumerateDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Dir, "bin", "initdb")) && File.Exists(Path.Combine(d.Dir, "bin", "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "bin"))
                .FirstOrDefault();
        }
    }

    /// <summary>Why PostgreSQL tests cannot run here, or null when they can (binaries present, and a user to run them as).</summary>
    public static string? Missing =>
        BinDirectory is null ? "PostgreSQL server binaries (apt-get install postgresql)"
        : Environment.UserName == "root" && ExternalTool.Find("runuser") is null ? "runuser (to run postgres as a non-root user)"
        : null;

    /// <summary>The cluster of this test process, started on first call.</summary>
    public static Task<PostgresCluster> GetAsync() => Shared.Value;

    /// <summary>A connection string to <paramref name="database"/> as the cluster's superuser (trust authentication on loopback).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Database = database,
        Pooling = true,
        // Tests run on a loaded machine: a generous wait, never a timing assertion.
        Timeout = 60,
        CommandTimeout = 120,
    }.ConnectionString;

    /// <summary>Creates an empty database with a fresh name; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing whatever sessions are still on it.</summary>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        var bin = BinDirectory ?? throw new InvalidOperationException("PostgreSQL is not installed (see .ci/run: apt-get install postgresql)");
        var asPostgres = Environment.UserName == "root";
        await RemoveStaleClustersAsync(bin, asPostgres);
        var directory = System.IO.Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (asPostgres)
        {
            await RunAsync("chown", ["-R", "postgres:", directory]);
        }

        // No fsync: the cluster lives as long as the test run, and its durability is PostgreSQL's business, not ours.
        await RunAsync(bin, "initdb", asPostgres, ["-D", Path.Combine(directory, "data"), "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--no-locale", "-N"]);
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // A port chosen before the start can be taken by someone else meanwhile: try another.
            var port = FreePort.Get();
            var cluster = new PostgresCluster(directory, bin, asPostgres, port);
            try
            {
                await RunAsync(bin, "pg_ctl", asPostgres,
                [
                    "-D", Path.Combine(directory, "data"), "-l", Path.Combine(directory, "server.log"), "-w", "-t", "120",
                    "-o", $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", "start",
                ]);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
                return cluster;
            }
            catch (InvalidOperationException e)
            {
                last = e;
            }
        }

        throw new InvalidOperationException("the test PostgreSQL cluster did not start: " + ReadLog(directory), last);
    }

    // Runs at process exit, where the test host may be killed at any moment: a detached shell stops the server and
    // removes the directory, so neither waits on this process. The next run's sweep catches what is left anyway.
    private void Stop()
    {
        var pgCtl = Path.Combine(_bin, "pg_ctl");
        var stop = _asPostgresUser ? "runuser -u postgres -- \"$1\" -D \"$2/data\" -m immediate -w stop" : "\"$1\" -D \"$2/data\" -m immediate -w stop";
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["-c", stop + " >/dev/null 2>&1; rm -rf \"$2\"", "sh", pgCtl, _directory])
        {
            psi.ArgumentList.Add(argument);
        }

        try
        {
            using var process = System.Diagnostics.Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No shell: the next run's sweep stops the cluster.
        }
    }

    // A test run killed before its exit handlers ran leaves its cluster running: stop those whose owner is gone.
    private static async Task RemoveStaleClustersAsync(string bin, bool asPostgres)
    {
        foreach (var directory in System.IO.Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            var owner = Path.Combine(directory, OwnerFile);
            if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || System.IO.Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)))
            {
                continue;
            }

            if (File.Exists(Path.Combine(directory, "data", "postmaster.pid")))
            {
                try
                {
                    await RunAsync(bin, "pg_ctl", asPostgres, ["-D", Path.Combine(directory, "data"), "-m", "immediate", "-w", "stop"]);
                }
                catch (InvalidOperationException)
                {
                    // Not running after all (a stale pid file): removing the directory is all there is to do.
                }
            }

            DeleteDirectory(directory);
        }
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // /tmp is cleaned anyway.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }

    private static string ReadLog(string directory)
    {
        var log = Path.Combine(directory, "server.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(5)) : "(no server log)";
    }

    private static Task RunAsync(string bin, string program, bool asPostgres, IReadOnlyList<string> arguments) =>
        asPostgres
            ? RunAsync(ExternalTool.Get("runuser"), ["-u", "postgres", "--", Path.Combine(bin, program), .. arguments])
            : RunAsync(Path.Combine(bin, program), arguments);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var result = await ProcessRunner.RunAsync(program, arguments, timeout: TimeSpan.FromMinutes(3), workingDirectory: "/");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError.Trim()}");
        }
    }
}
