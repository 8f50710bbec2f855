using System.Net;
using System.Text;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Postfix;

/// <summary>
/// A private Postfix (3.x) running from a temp directory: its own main.cf/master.cf, queue, data directory, log
/// file and Maildirs, smtpd on one loopback port. The machine's /etc/postfix is read by nothing but the tools'
/// defaults (meta_directory for postfix-files), and is never written. Needs root: master starts as root.
/// </summary>
/// <remarks>
/// Quirks met on Postfix 3.7 (Debian):
/// <list type="bullet">
/// <item>data_directory must be owned by the postfix user: a pre-created root-owned one makes master die with
/// "open lock file .../master.lock: Permission denied". Leave it absent; <c>postfix start</c> (post-install
/// create-missing) creates it, and the queue tree, with the right owners.</item>
/// <item>queue_directory itself must exist (root-owned, like /var/spool/postfix): postfix chdirs into it before
/// post-install creates the queue subdirectories.</item>
/// <item>Every directory above the queue must be searchable by the postfix user, and the Maildir base by the
/// delivery uid: <see cref="TempDirectory"/> is 0700, so it is opened to 0755.</item>
/// <item>virtual(8) refuses uids below virtual_minimum_uid (100), so root (static:0) cannot own mailboxes;
/// mail is delivered as nobody (65534) into a world-writable base.</item>
/// <item>maillog_file needs the postlog service in master.cf, and its path must start with one of
/// maillog_file_prefixes (default /var, /dev/stdout).</item>
/// <item>Postfix trusts 127.0.0.0/8 by default (mynetworks_style); an explicitly empty mynetworks makes
/// loopback clients strangers, so relay rules apply to tests too.</item>
/// <item>master.cf services run with chroot "n": Debian's stock chroot needs a copied /etc inside the spool.</item>
/// <item>sendmail -C DIR (and postdrop -c DIR) honour any config directory only for root; other users need it
/// listed in alternate_config_directories of the default main.cf.</item>
/// </list>
/// </remarks>
public sealed class PostfixInstance : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory;
    private readonly string _mailboxDomain;
    private bool _started;

    private PostfixInstance(TempDirectory directory, int port, string mailboxDomain)
    {
        _directory = directory;
        _mailboxDomain = mailboxDomain;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    /// <summary>Where smtpd listens.</summary>
    public IPEndPoint EndPoint { get; }

    public string ConfigDirectory => _directory.Combine("etc");

    public string LogFile => _directory.Combine("maillog");

    private string MailboxBase => _directory.Combine("mail");

    /// <summary>Writes the configuration for a free loopback port and starts the instance.</summary>
    public static async Task<PostfixInstance> StartAsync(PostfixOptions options, int? port = null)
    {
        var directory = new TempDirectory("keypost-postfix");
        var instance = new PostfixInstance(directory, port ?? FreePort.Get(), options.MailboxDomain);
        try
        {
            await instance.WriteConfigurationAsync(options);
            var start = await instance.PostfixAsync("start");
            instance._started = true;
            if (start.ExitCode != 0)
            {
                throw new InvalidOperationException($"postfix start failed ({start.ExitCode}): {start.StandardError}\n{instance.ReadLog()}");
            }
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>The new/ folder of a mailbox of the virtual domain.</summary>
    public string MaildirNew(string localPart) => Path.Combine(MailboxBase, localPart, "Maildir", "new");

    /// <summary>Postfix's own log so far (for assertion messages).</summary>
    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no maillog yet)";

    /// <summary>Injects a message the local way: sendmail → postdrop → pickup, so no smtpd relay rule is bent.</summary>
    public async Task SendmailAsync(string sender, string recipient, string message)
    {
        // -C is sendmail's name for the config directory; -i: a lone "." line is content, not the end.
        var result = await ProcessRunner.RunAsync("sendmail", ["-C", ConfigDirectory, "-i", "-f", sender, "--", recipient], standardInput: message, timeout: CommandTimeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"sendmail failed ({result.ExitCode}): {result.StandardError}\n{ReadLog()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            // Always stop, even when start half-failed: a leftover master keeps the port and the temp files.
            await PostfixAsync("stop");
        }

        _directory.Dispose();
    }

    private Task<ProcessResult> PostfixAsync(string command) =>
        ProcessRunner.RunAsync("postfix", ["-c", ConfigDirectory, command], timeout: CommandTimeout);

    private async Task WriteConfigurationAsync(PostfixOptions options)
    {
        File.SetUnixFileMode(_directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        System.IO.Directory.CreateDirectory(ConfigDirectory);
        System.IO.Directory.CreateDirectory(MailboxBase);
        System.IO.Directory.CreateDirectory(_directory.Combine("queue"));
        File.SetUnixFileMode(MailboxBase, (UnixFileMode)0b111_111_111);

        var mailboxes = _directory.Combine("etc", "vmailbox");
        await File.WriteAllLinesAsync(mailboxes, options.Mailboxes.Select(m => $"{m}@{_mailboxDomain} {m}/Maildir/"));
        var transports = _directory.Combine("etc", "transport");
        await File.WriteAllLinesAsync(transports, options.Transports.Select(t => $"{t.Key} {t.Value}"));

        var main = new StringBuilder();
        void Set(string name, string value) => main.Append(name).Append(" = ").Append(value).Append('\n');
        Set("compatibility_level", "3.6");
        Set("config_directory", ConfigDirectory);
        Set("queue_directory", _directory.Combine("queue"));
        Set("data_directory", _directory.Combine("data"));
        Set("maillog_file", LogFile);
        Set("maillog_file_prefixes", _directory.Path);
        Set("inet_interfaces", "127.0.0.1");
        Set("inet_protocols", "ipv4");
        Set("myhostname", options.HostName);
        Set("mydomain", options.MailboxDomain);
        Set("myorigin", options.MailboxDomain);
        Set("mydestination", "");
        Set("mynetworks", "");
        Set("smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination");
        Set("local_recipient_maps", "");
        Set("alias_maps", "");
        Set("alias_database", "");
        Set("virtual_mailbox_domains", options.MailboxDomain);
        Set("virtual_mailbox_base", MailboxBase);
        Set("virtual_mailbox_maps", "texthash:" + mailboxes);
        Set("virtual_uid_maps", "static:65534");
        Set("virtual_gid_maps", "static:65534");
        Set("transport_maps", "texthash:" + transports);
        // Relays go to [IP]:port literals: no MX lookups, and a test never waits on the machine's resolver.
        Set("smtp_dns_support_level", "disabled");
        Set("smtp_tls_security_level", "may");
        if (options.CertificateFile is not null && options.KeyFile is not null)
        {
            Set("smtpd_tls_security_level", "may");
            Set("smtpd_tls_cert_file", options.CertificateFile);
            Set("smtpd_tls_key_file", options.KeyFile);
            Set("smtpd_tls_received_header", "yes");
        }

        await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "main.cf"), main.ToString());
        await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "master.cf"), MasterCf(EndPoint.Port));
    }

    // master.cf(5): service type private unpriv chroot wakeup maxproc command. The stock services, minus the local
    // ones nothing here uses, all unchrooted.
    private static string MasterCf(int port) => $"""
        127.0.0.1:{port} inet n - n - - smtpd
        pickup    unix  n - n 60 1 pickup
        cleanup   unix  n - n - 0 cleanup
        qmgr      unix  n - n 300 1 qmgr
        tlsmgr    unix  - - n 1000? 1 tlsmgr
        rewrite   unix  - - n - - trivial-rewrite
        bounce    unix  - - n - 0 bounce
        defer     unix  - - n - 0 bounce
        trace     unix  - - n - 0 bounce
        verify    unix  - - n - 1 verify
        flush     unix  n - n 1000? 0 flush
        proxymap  unix  - - n - - proxymap
        smtp      unix  - - n - - smtp
        relay     unix  - - n - - smtp
        showq     unix  n - n - - showq
        error     unix  - - n - - error
        retry     unix  - - n - - error
        discard   unix  - - n - - discard
        virtual   unix  - n n - - virtual
        anvil     unix  - - n - 1 anvil
        scache    unix  - - n - 1 scache
        postlog   unix-dgram n - n - 1 postlogd

        """;
}
