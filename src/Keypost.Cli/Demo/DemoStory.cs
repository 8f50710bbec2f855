using System.Net;
using Keypost.Client;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Monitoring;
using Keypost.Client.Reading;
using Keypost.Client.Sending;
using Keypost.Core.OpenPgp;
using Keypost.Core.Policy;
using Keypost.LocalServe;

namespace Keypost.Cli.Demo;

/// <summary>
/// Leia's and Luke's own machines in the demo: their keys, pins and log state (files under the demo's root), and
/// the client parts built on them afresh for each act, as a new run of `keypost send` or `keypost read` would.
/// </summary>
public sealed class DemoStory(string root, HttpClient http, LocalCertificateAuthority ca, IPAddress jedi, IPAddress rebel, LocalPorts ports,
    SecretKey lukeKey, SecretKey leiaKey, string witnessVkey)
{
    public const string LukePassword = "luke-demo-password";
    public const string LeiaPassword = "leia-demo-password";

    /// <summary>Luke's current key: Act 3 replaces it with its successor.</summary>
    public SecretKey LukeKey { get; set; } = lukeKey;

    public SecretKey LeiaKey { get; } = leiaKey;

    public string WitnessVkey { get; } = witnessVkey;

    public DemoPerson Leia { get; } = new(Path.Combine(root, "leia-client"));

    public DemoPerson Luke { get; } = new(Path.Combine(root, "luke-client"));

    public KeyDiscovery LeiaDiscovery() =>
        new(new WkdClient(http), Leia.Pins, KeyChangePolicy.Refuse, new LogChecker(http, Leia.Logs, TimeProvider.System), _ => true);

    public MailSender LeiaSender() =>
        new(LeiaDiscovery(), new SendPolicy(new Dictionary<string, EncryptionPolicy> { ["jedi.test"] = EncryptionPolicy.Require }),
            LeiaKey.Unlock(LeiaPassword), LeiaServer(), TimeProvider.System);

    public MailReader LukeReader()
    {
        var discovery = new KeyDiscovery(new WkdClient(http), Luke.Pins, KeyChangePolicy.Refuse, new LogChecker(http, Luke.Logs, TimeProvider.System), _ => true);
        var signers = new SignerKeys(KnownSignerKeys.InMemory(), null, discovery, TimeProvider.System);
        return new MailReader(LukeKey.Unlock(LukePassword), LukeServer(), signers);
    }

    public OwnerMonitor LukeMonitor() => new(http, Luke.Logs, TimeProvider.System);

    public MailServerConnection LeiaServer() =>
        new(rebel.ToString(), ports.Submission, ports.Imaps, "leia@rebel.test", LeiaPassword, ca.Certificate);

    public MailServerConnection LukeServer() =>
        new(jedi.ToString(), ports.Submission, ports.Imaps, "luke@jedi.test", LukePassword, ca.Certificate);
}
