using System.Net;
using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Mail.Dkim;
using Keypost.Store.Maildir;
using Keypost.Server.Configuration;

namespace Keypost.Interop.Tests.Transport;

/// <summary>Configuration of one Keypost mail domain for transport tests: files under one directory, host mx.DOMAIN.</summary>
public static class NodeConfig
{
    /// <summary>A configuration with a CA-issued certificate for mx.DOMAIN and DNS pointed at the loopback server; no listeners yet.</summary>
    public static KeypostConfig Create(string directory, string domain, LocalCertificateAuthority ca, IPEndPoint dns)
    {
        System.IO.Directory.CreateDirectory(directory);
        var hostName = "mx." + domain;
        var certificate = Path.Combine(directory, "tls.crt");
        var key = Path.Combine(directory, "tls.key");
        using (var tls = ca.Issue([hostName]))
        {
            ca.WriteServerPem(tls, certificate, key);
        }

        return new KeypostConfig
        {
            DataDirectory = Path.Combine(directory, "data"),
            Hostname = hostName,
            Domains = [new DomainConfig { Name = domain }],
            Mail = new MailConfig
            {
                CertificateFile = certificate,
                KeyFile = key,
                DnsServers = [dns.ToString()],
            },
        };
    }

    /// <summary>Creates the domain's DKIM keys where the server will find them and publishes their TXT records.</summary>
    public static async Task PublishDkimAsync(KeypostConfig config, string domain, LoopbackDnsServer dns)
    {
        var keys = await new DkimKeyStore(config.DkimDirectory).GetOrCreateAsync(domain, CancellationToken.None);
        foreach (var key in keys.All)
        {
            dns.Txt(key.DnsName, key.TxtRecord);
        }
    }

    public static string Maildir(KeypostConfig config, string address) =>
        new MaildirStore(config.MailDirectory).GetMaildirPath(EmailAddress.Parse(address));
}
