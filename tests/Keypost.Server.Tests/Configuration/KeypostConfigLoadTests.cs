using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Testing;

namespace Keypost.Server.Tests.Configuration;

/// <summary>
/// keypost.json through Microsoft.Extensions.Configuration: the README's file loads as before, and a wrong key or
/// value is refused at start with its JSON path, every problem at once.
/// </summary>
public sealed class KeypostConfigLoadTests : IDisposable
{
    // The README's quick-start file, verbatim, plus a comment and a trailing comma (both were accepted before).
    private const string ReadmeConfig = """
        {
          // The README's example
          "dataDirectory": "data",
          "hostname": "mail.jedi.test",
          "domains": [ { "name": "jedi.test", "wkdPolicy": "", "submissionAddress": null } ],
          "http": { "listen": ["127.0.0.1:8443"], "certificateFile": "tls.crt", "keyFile": "tls.key" },
          "rateLimit": { "requestsPerMinute": 600, "burst": 60 },
          "mail": {
            "inbound": ["127.0.0.1:2525"], "submission": ["127.0.0.1:2587"], "submissionTls": ["127.0.0.1:2465"],
            "dnsServers": [], "deliveryPort": 25
          },
        }
        """;

    private readonly TempDirectory _directory = new("keypost-config");

    [Fact]
    public void The_README_configuration_loads_with_paths_relative_to_the_file()
    {
        var config = Load(ReadmeConfig);

        Assert.Equal("mail.jedi.test", config.Hostname);
        Assert.Equal("jedi.test", Assert.Single(config.Domains).Name);
        Assert.Null(config.Domains[0].SubmissionAddress);
        Assert.Equal(["127.0.0.1:2525"], config.Mail.Inbound);
        Assert.Equal(_directory.Combine("data"), config.DataDirectory);
        Assert.Equal(_directory.Combine("tls.crt"), config.Http.CertificateFile);
        Assert.Equal(30, config.DrainSeconds);
        Assert.Equal("text", config.Log.Format);
    }

    [Fact]
    public void Storage_is_sqlite_by_default_and_postgres_when_asked()
    {
        var byDefault = Load("""{ "domains": [ { "name": "jedi.test" } ] }""");
        var postgres = Load("""{ "domains": [ { "name": "jedi.test" } ], "storage": { "kind": "postgres", "connectionString": "Host=db.jedi.test;Database=keypost;Username=keypost" } }""");

        Assert.Equal((StorageConfig.Sqlite, null, false), (byDefault.Storage.Kind, byDefault.Storage.ConnectionString, byDefault.Storage.IsPostgres));
        Assert.True(postgres.Storage.IsPostgres);
        Assert.Equal("Host=db.jedi.test;Database=keypost;Username=keypost", postgres.Storage.ConnectionString);
    }

    [Fact]
    public void A_list_in_the_file_replaces_the_default_list_instead_of_adding_to_it()
    {
        var config = Load("""{ "domains": [ { "name": "jedi.test" } ], "mail": { "retryIntervalSeconds": [1, 2] } }""");

        Assert.Equal([1, 2], config.Mail.RetryIntervalSeconds);
    }

    [Fact]
    public void What_Save_writes_loads_back_the_same()
    {
        var original = new KeypostConfig
        {
            DataDirectory = _directory.Combine("data"),
            Hostname = "mx.jedi.test",
            Domains = [new DomainConfig { Name = "jedi.test", Gateway = true }],
            Mail = new MailConfig { Inbound = ["127.0.0.1:2525"], CertificateFile = _directory.Combine("tls.crt"), KeyFile = _directory.Combine("tls.key"), RetryIntervalSeconds = [5] },
            Metrics = new MetricsConfig { Listen = ["127.0.0.1:9100"] },
            Log = new LogConfig { Format = "json", Level = "Debug" },
            DrainSeconds = 7,
        };
        var path = _directory.Combine("saved.json");
        original.Save(path);

        var loaded = KeypostConfig.Load(path);

        Assert.Equal(original.Mail.RetryIntervalSeconds, loaded.Mail.RetryIntervalSeconds);
        Assert.Equal(original.Metrics.Listen, loaded.Metrics.Listen);
        Assert.True(loaded.Domains[0].Gateway);
        Assert.Equal(("json", "Debug", 7), (loaded.Log.Format, loaded.Log.Level, loaded.DrainSeconds));
    }

    [Theory]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "mail": { "inbond": ["127.0.0.1:25"] } }""", "mail.inbond: unknown key")]
    [InlineData("""{ "domains": [ { "name": "jedi.test", "gatway": true } ] }""", "domains[0].gatway: unknown key")]
    [InlineData("""{ "domain": [ { "name": "jedi.test" } ] }""", "domain: unknown key")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "mail": { "deliveryPort": "twenty-five" } }""", "mail.deliveryPort: 'twenty-five' is not a valid whole number")]
    [InlineData("""{ "domains": [ { "name": "jedi.test", "gateway": "yes" } ] }""", "domains[0].gateway: 'yes' is not a valid boolean")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "mail": { "retryIntervalSeconds": [60, "soon"] } }""", "mail.retryIntervalSeconds[1]: 'soon' is not a valid whole number")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "mail": { "inbound": "127.0.0.1:25" } }""", "mail.inbound: expected a list")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "http": "everywhere" }""", "http: expected an object")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "http": { "listen": ["127.0.0.1:443", "localhost"], "certificateFile": "a", "keyFile": "b" } }""", "http.listen[1]: 'localhost' is not an address of the form IP:port")]
    [InlineData("""{ "domains": [] }""", "domains: at least one domain is needed")]
    [InlineData("""{ "domains": [ { "name": "jedi test" } ] }""", "domains[0].name: 'jedi test' is not a domain name")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "http": { "listen": ["127.0.0.1:443"] } }""", "http.certificateFile: required with http.listen")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "mail": { "inbound": ["127.0.0.1:25"] } }""", "mail.certificateFile: mail listeners need a TLS certificate")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "log": { "format": "xml" } }""", "log.format: 'xml' is neither")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "log": { "level": "Chatty" } }""", "log.level: 'Chatty' is not one of")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "metrics": { "listen": ["9100"] } }""", "metrics.listen[0]: '9100' is not an address")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "drainSeconds": -1 }""", "drainSeconds: must be 0 or more")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "storage": { "kind": "mysql" } }""", "storage.kind: 'mysql' is neither \"sqlite\" nor \"postgres\"")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "storage": { "kind": "postgres" } }""", "storage.connectionString: required with storage.kind \"postgres\"")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "storage": { "kind": "postgres", "connectionString": "Hots=db;Database=k" } }""", "storage.connectionString: not a PostgreSQL connection string")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "storage": { "kind": "postgres", "connectionString": "Host=db", "queueLeaseSeconds": 0 } }""", "storage.queueLeaseSeconds: must be more than 0")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "storage": { "connectionString": "Host=db" } }""", "storage.connectionString: only with storage.kind \"postgres\"")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "storage": { "kind": "postgres", "connectionString": "Host=db", "pool": 3 } }""", "storage.pool: unknown key")]
    [InlineData("""{ "domains": [ { "name": "jedi.test" } ], "transparency": { "sequenceIntervalSeconds": 0 } }""", "transparency.sequenceIntervalSeconds: must be more than 0")]
    public void A_wrong_key_or_value_is_named_by_its_JSON_path(string json, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Load(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith(_directory.Combine("keypost.json") + ": ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var error = Assert.Throws<ConfigException>(() => Load("""{ "domains": [ { "name": "jedi.test", "nmae": "x" } ], "mial": {}, "rateLimit": { "burst": "lots" } }"""));

        Assert.Contains("domains[0].nmae: unknown key", error.Message, StringComparison.Ordinal);
        Assert.Contains("mial: unknown key", error.Message, StringComparison.Ordinal);
        Assert.Contains("rateLimit.burst: 'lots' is not a valid whole number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_JSON_is_refused_with_the_file_name()
    {
        var error = Assert.Throws<ConfigException>(() => Load("""{ "domains": [ """));

        Assert.Contains("not valid configuration JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_built_in_code_is_validated_at_start_too()
    {
        var config = new KeypostConfig { DataDirectory = _directory.Combine("data"), Domains = [new DomainConfig { Name = "jedi.test" }], Mail = new MailConfig { Imap = ["nowhere"] } };

        var error = await Assert.ThrowsAsync<ConfigException>(() => KeypostServer.StartAsync(config, CancellationToken.None));

        Assert.Contains("mail.imap[0]: 'nowhere' is not an address of the form IP:port", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private KeypostConfig Load(string json)
    {
        var path = _directory.Combine("keypost.json");
        File.WriteAllText(path, json);
        return KeypostConfig.Load(path);
    }
}
