using System.Globalization;
using System.Text;

namespace Keypost.Testing.Dns;

/// <summary>A zone in master-file form for <see cref="ValidatingResolver"/>: DNSSEC-signed or not.</summary>
public sealed class TestZone
{
    private readonly StringBuilder records = new();

    public TestZone(string origin, bool signed)
    {
        Origin = origin.TrimEnd('.').ToLowerInvariant();
        Signed = signed;
    }

    public string Origin { get; }

    public bool Signed { get; }

    public TestZone Mx(string name, int preference, string host) => Add(name, $"MX {preference} {Fqdn(host)}");

    public TestZone A(string name, string address) => Add(name, "A " + address);

    public TestZone Txt(string name, string text) => Add(name, "TXT " + string.Join(' ', Chunks(text).Select(c => "\"" + c.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")));

    /// <summary>A TLSA record in presentation form ("3 1 1 hex") at <c>_port._tcp.host</c>.</summary>
    public TestZone Tlsa(string host, int port, string data) =>
        Add(string.Create(CultureInfo.InvariantCulture, $"_{port}._tcp.{host}"), "TLSA " + data);

    internal string Render() =>
        $"$ORIGIN {Origin}.\n$TTL 60\n@ IN SOA ns.{Origin}. hostmaster.{Origin}. 1 3600 600 86400 60\n@ IN NS ns.{Origin}.\nns IN A 127.0.0.1\n{records}";

    private TestZone Add(string name, string data)
    {
        records.Append(Fqdn(name)).Append(" IN ").Append(data).Append('\n');
        return this;
    }

    private static string Fqdn(string name) => name.TrimEnd('.') + ".";

    private static IEnumerable<string> Chunks(string text)
    {
        for (var i = 0; i < text.Length; i += 255)
        {
            yield return text.Substring(i, Math.Min(255, text.Length - i));
        }

        if (text.Length == 0)
        {
            yield return "";
        }
    }
}
