using System.Text;
using System.Threading.RateLimiting;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;
using Keypost.Directory.Storage;
using Keypost.Directory.Wkd;
using Keypost.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// WKD routing as KeypostServer wires it (guard, endpoints, fallback) on an in-memory server. The input's lines
/// are the method, the Host and the request target as sent. A 5xx or an exception out of the pipeline is a finding.
/// </summary>
internal sealed class WkdRoutingHarness : IDisposable
{
    private readonly TempDirectory _directory = new("keypost-fuzz-wkd");
    private readonly WebApplication _app;
    private readonly TestServer _server;

    public WkdRoutingHarness()
    {
        var database = DirectoryDatabase.OpenAsync(_directory.Combine("directory.db"), CancellationToken.None).GetAwaiter().GetResult();
        var store = new DirectoryStore(database, TimeProvider.System);
        store.EnsureDomainAsync("jedi.test", CancellationToken.None).GetAwaiter().GetResult();
        store.PublishAsync(EmailAddress.Parse("luke@jedi.test"), "AA", [0x98, 0x33, 1, 2, 3], revoked: false, CancellationToken.None).GetAwaiter().GetResult();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Services.AddRateLimiter(o => o.AddPolicy(WkdEndpoints.RateLimitPolicy, _ => RateLimitPartition.GetNoLimiter("all")));
        _app = builder.Build();
        _app.UseRateLimiter();
        _app.Use(WkdEndpoints.GuardAsync);
        // The server's order (HttpService): key lookups answered before routing, everything else routed.
        var wkd = new WkdEndpoints(store, [new WkdDomainSettings("jedi.test", "protocol-version: 18\n", "key-submission@jedi.test")]);
        _app.Use(wkd.ServeKeysAsync);
        _app.UseRouting();
        wkd.Map(_app);
        _app.MapFallback((HttpContext context) => ProblemWriter.NotFoundAsync(context));
        _app.StartAsync().GetAwaiter().GetResult();
        _server = _app.GetTestServer();
    }

    /// <summary>A request as the harness reads it from an input, for seeds.</summary>
    public static byte[] Request(string method, string host, string target) => Encoding.UTF8.GetBytes(method + "\n" + host + "\n" + target);

    public static string LukeHash => WkdHash.Compute("luke");

    public void Run(byte[] input)
    {
        var lines = Encoding.UTF8.GetString(input).Split('\n', 3);
        var method = lines[0].Trim();
        var host = lines.Length > 1 ? lines[1].Trim() : "openpgpkey.jedi.test";
        var target = lines.Length > 2 ? lines[2] : "/";
        if (method.Length == 0 || !method.All(c => c > ' ' && c < 0x7f && c is not ('(' or ')' or '<' or '>' or '@' or ',' or ';' or ':' or '\\' or '"' or '/' or '[' or ']' or '?' or '=' or '{' or '}')))
        {
            return; // Kestrel answers 400 to a method that is not an HTTP token before any of our code runs.
        }

        if (host.Any(c => c <= ' ' || c >= 0x7f))
        {
            return; // Kestrel refuses a Host header outside visible ASCII with 400 (RFC 9110 §7.2).
        }

        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        if (!path.StartsWith('/') || target.Any(c => c <= ' ' || c >= 0x7f))
        {
            return; // Likewise for a request target that is not origin-form.
        }

        var context = _server.SendAsync(c =>
        {
            c.Request.Method = method;
            c.Request.Headers.Host = host; // As Kestrel does: the raw header, no IDN conversion.
            c.Request.Path = PathString.FromUriComponent(path);
            c.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(target[query..]);
            c.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        }).GetAwaiter().GetResult();
        if (context.Response.StatusCode >= 500)
        {
            throw new FuzzFindingException($"WKD answered {context.Response.StatusCode} to {method} {target}");
        }
    }

    public void Dispose()
    {
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _directory.Dispose();
    }
}
