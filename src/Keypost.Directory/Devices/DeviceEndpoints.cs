using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Accounts;
using Keypost.Directory.Storage;
using Keypost.Directory.Wkd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Directory.Devices;

/// <summary>
/// In charge of the device HTTP endpoints: join requests, approvals and removals.
/// Several devices per account (issue #12 item 6, docs/lifecycle.md): the mailbox through which a new device asks
/// to join and the first device answers. Everything is under <c>/keypost/v1/devices</c>, over HTTPS with the
/// account's address and mail password (RFC 7617 Basic), scoped to that account: another account's device is
/// "not found". The server only carries: requests hold a device's public transport certificate, and packages are
/// encrypted to that device and signed by the address's primary key, which the device checks. Every refusal is an
/// RFC 9457 problem.
/// </summary>
public sealed class DeviceEndpoints(DirectoryStore store, PasswordHashGate hashGate, TimeProvider clock, ILogger? logger = null)
{
    public const string Path = "/keypost/v1/devices";

    /// <summary>A transport certificate or a key package is small; anything bigger is refused before parsing.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private static readonly EventId DeviceEvent = new(4301, "Device");
    private readonly BasicAccountAuthenticator _authenticator = new(store, hashGate);
    private readonly DeviceStore _devices = new(store.Database);
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost(Path, (HttpContext c) => HandleAsync(c, FileAsync)).RequireRateLimiting(WkdEndpoints.RateLimitPolicy);
        routes.MapGet(Path, (HttpContext c) => HandleAsync(c, ListDevicesAsync)).RequireRateLimiting(WkdEndpoints.RateLimitPolicy);
        routes.MapGet(Path + "/{id}", (HttpContext c) => HandleAsync(c, (x, a, ct) => ShowAsync(x, a, Id(x), ct))).RequireRateLimiting(WkdEndpoints.RateLimitPolicy);
        routes.MapDelete(Path + "/{id}", (HttpContext c) => HandleAsync(c, (x, a, ct) => RemoveAsync(x, a, Id(x), ct))).RequireRateLimiting(WkdEndpoints.RateLimitPolicy);
        routes.MapPut(Path + "/{id}/package", (HttpContext c) => HandleAsync(c, (x, a, ct) => PutPackageAsync(x, a, Id(x), ct))).RequireRateLimiting(WkdEndpoints.RateLimitPolicy);
        routes.MapGet(Path + "/{id}/package", (HttpContext c) => HandleAsync(c, (x, a, ct) => GetPackageAsync(x, a, Id(x), ct))).RequireRateLimiting(WkdEndpoints.RateLimitPolicy);
    }

    // Read from the route by hand: a handler with bound parameters would have ASP.NET compile expression trees for
    // it, which costs the server several MiB for as long as it runs (docs/benchmarks.md, "Memory").
    private static string Id(HttpContext context) => (string)context.Request.RouteValues["id"]!;

    // Every route: HTTPS only, then the account's credentials, then the handler for that account.
    private async Task HandleAsync(HttpContext context, Func<HttpContext, EmailAddress, CancellationToken, Task> handler)
    {
        var cancellationToken = context.RequestAborted;
        if (!context.Request.IsHttps)
        {
            await ProblemWriter.NotFoundAsync(context);
            return;
        }

        var address = await _authenticator.AuthenticateAsync(context, cancellationToken);
        if (address is null)
        {
            context.Response.Headers.WWWAuthenticate = BasicAccountAuthenticator.Challenge;
            await ProblemWriter.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "devices need the account's address and mail password (HTTP Basic)");
            return;
        }

        await handler(context, address, cancellationToken);
    }

    // POST /keypost/v1/devices?name=NAME, body: the new device's transport certificate.
    private async Task FileAsync(HttpContext context, EmailAddress address, CancellationToken cancellationToken)
    {
        var name = context.Request.Query["name"].ToString();
        name = name.Length == 0 ? "device" : name;
        if (name.Length > 64 || name.Any(c => char.IsControl(c)))
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Bad device name", "a device name is 1 to 64 characters without control characters");
            return;
        }

        var body = await ReadBodyAsync(context, cancellationToken);
        if (body is null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        Certificate certificate;
        try
        {
            certificate = Certificate.Parse(body, MaxBodyBytes);
        }
        catch (OpenPgpException e)
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Device key refused", e.Message);
            return;
        }

        if (!certificate.HasUserIdFor(address))
        {
            var named = certificate.UserIds.FirstOrDefault(u => u.Address is not null)?.Address?.ToString() ?? "no address";
            await ProblemWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Device key refused", $"the device key is for {named}, not for {address}: a device joins the account it logs in as");
            return;
        }

        if (certificate.IsRevoked || certificate.IsExpired(now) || certificate.EncryptionSubkeys(now).Count == 0)
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Device key refused", $"the device key {certificate.Fingerprint} has no usable encryption subkey to receive the account's key");
            return;
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var record = new DeviceRecord(id, address.Canonical, name, certificate.Fingerprint, certificate.ToBinary(), DeviceState.Pending, null, 0, now, now);
        if (!await _devices.AddAsync(record, cancellationToken))
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Too many devices", $"{address} already has {DeviceStore.MaxDevicesPerAccount} devices; remove one first");
            return;
        }

        _logger.LogInformation(DeviceEvent, "device request {Id} ({Fingerprint}) filed for {Address}", id, certificate.Fingerprint, address);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await WriteJsonAsync(context, Describe(record, withCertificate: false), cancellationToken);
    }

    private async Task ListDevicesAsync(HttpContext context, EmailAddress address, CancellationToken cancellationToken)
    {
        var devices = await _devices.ListAsync(address.Canonical, cancellationToken);
        await WriteJsonAsync(context, new Dictionary<string, object?> { ["address"] = address.Canonical, ["devices"] = devices.Select(d => Describe(d, withCertificate: false)).ToList() }, cancellationToken);
    }

    private async Task ShowAsync(HttpContext context, EmailAddress address, string id, CancellationToken cancellationToken)
    {
        if (await FindAsync(context, address, id, cancellationToken) is { } device)
        {
            await WriteJsonAsync(context, Describe(device, withCertificate: true), cancellationToken);
        }
    }

    private async Task RemoveAsync(HttpContext context, EmailAddress address, string id, CancellationToken cancellationToken)
    {
        var device = await FindAsync(context, address, id, cancellationToken);
        if (device is null)
        {
            return;
        }

        if (!await _devices.RemoveAsync(address.Canonical, id, clock.GetUtcNow(), cancellationToken))
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status410Gone, "Device removed", $"device {id} of {address} was already removed");
            return;
        }

        _logger.LogInformation(DeviceEvent, "device {Id} of {Address} removed", id, address);
        await WriteJsonAsync(context, Describe((await _devices.FindAsync(address.Canonical, id, cancellationToken))!, withCertificate: false), cancellationToken);
    }

    private async Task PutPackageAsync(HttpContext context, EmailAddress address, string id, CancellationToken cancellationToken)
    {
        var device = await FindAsync(context, address, id, cancellationToken);
        if (device is null)
        {
            return;
        }

        var body = await ReadBodyAsync(context, cancellationToken);
        if (body is null)
        {
            return;
        }

        if (body.Length == 0)
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Empty package", "a key package is an OpenPGP message encrypted to the device");
            return;
        }

        var version = await _devices.SetPackageAsync(address.Canonical, id, body, clock.GetUtcNow(), cancellationToken);
        if (version is null)
        {
            await ProblemWriter.WriteAsync(context, StatusCodes.Status410Gone, "Device removed", $"device {id} of {address} was removed; it gets no key");
            return;
        }

        _logger.LogInformation(DeviceEvent, "key package {Version} left for device {Id} of {Address}", version, id, address);
        await WriteJsonAsync(context, Describe((await _devices.FindAsync(address.Canonical, id, cancellationToken))!, withCertificate: false), cancellationToken);
    }

    private async Task GetPackageAsync(HttpContext context, EmailAddress address, string id, CancellationToken cancellationToken)
    {
        var device = await FindAsync(context, address, id, cancellationToken);
        switch (device)
        {
            case null:
                return;
            case { State: DeviceState.Removed }:
                await ProblemWriter.WriteAsync(context, StatusCodes.Status410Gone, "Device removed", $"device {id} was removed from {address}");
                return;
            case { Package: null }:
                await ProblemWriter.WriteAsync(context, StatusCodes.Status409Conflict, "Not approved yet", $"device {id} of {address} is waiting for approval from the first device");
                return;
        }

        context.Response.ContentType = "application/pgp-encrypted";
        context.Response.Headers["Keypost-Package-Version"] = device.PackageVersion.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentLength = device.Package.Length;
        await context.Response.Body.WriteAsync(device.Package, cancellationToken);
    }

    private async Task<DeviceRecord?> FindAsync(HttpContext context, EmailAddress address, string id, CancellationToken cancellationToken)
    {
        var device = id.Length <= 64 ? await _devices.FindAsync(address.Canonical, id, cancellationToken) : null;
        if (device is null)
        {
            // Another account's device is as unknown as one that never existed.
            await ProblemWriter.WriteAsync(context, StatusCodes.Status404NotFound, "Unknown device", $"no device request {(id.Length > 64 ? id[..64] + "..." : id)} for {address}");
        }

        return device;
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var read = new byte[16384];
        int count;
        while ((count = await context.Request.Body.ReadAsync(read, cancellationToken)) > 0)
        {
            buffer.Write(read, 0, count);
            if (buffer.Length > MaxBodyBytes)
            {
                await ProblemWriter.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Content Too Large", $"at most {MaxBodyBytes} bytes");
                return null;
            }
        }

        return buffer.ToArray();
    }

    private static Dictionary<string, object?> Describe(DeviceRecord device, bool withCertificate)
    {
        var description = new Dictionary<string, object?>
        {
            ["id"] = device.Id,
            ["name"] = device.Name,
            ["fingerprint"] = device.Fingerprint,
            ["state"] = device.State.ToString().ToLowerInvariant(),
            ["packageVersion"] = device.PackageVersion,
            ["created"] = device.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        if (withCertificate)
        {
            description["certificate"] = Convert.ToBase64String(device.Certificate);
        }

        return description;
    }

    private static async Task WriteJsonAsync(HttpContext context, object value, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = json.Length;
        await context.Response.Body.WriteAsync(json, cancellationToken);
    }
}
