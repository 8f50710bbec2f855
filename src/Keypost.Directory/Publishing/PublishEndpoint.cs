using System.Text;
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

namespace Keypost.Directory.Publishing;

/// <summary>
/// The account's own publishing channel (issue #12 item 2): <c>POST /keypost/v1/publish</c> over HTTPS with the mail
/// password (RFC 7617 Basic), the certificate as the body. The key must carry a user ID for the account's address and
/// pass the directory's policy; a revocation is taken only for the key currently published. Every answer other than
/// 200 is an RFC 9457 problem naming the reason. Each publication is a new version in the transparency log.
/// </summary>
public sealed class PublishEndpoint(DirectoryStore store, KeyPublisher publisher, PasswordHashGate hashGate, ILogger? logger = null)
{
    public const string Path = "/keypost/v1/publish";
    private static readonly EventId PublishEvent = new(4201, "KeyPublish");
    private readonly BasicAccountAuthenticator _authenticator = new(store, hashGate);
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost(Path, (HttpContext context) => HandleAsync(context, context.RequestAborted)).RequireRateLimiting(WkdEndpoints.RateLimitPolicy);

    private async Task HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!context.Request.IsHttps)
        {
            await ProblemWriter.NotFoundAsync(context);
            return;
        }

        var address = await _authenticator.AuthenticateAsync(context, cancellationToken);
        if (address is null)
        {
            context.Response.Headers.WWWAuthenticate = BasicAccountAuthenticator.Challenge;
            await ProblemWriter.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "publishing needs the account's address and mail password (HTTP Basic)");
            return;
        }

        byte[] body;
        using (var buffer = new MemoryStream())
        {
            var read = new byte[81920];
            int count;
            while ((count = await context.Request.Body.ReadAsync(read, cancellationToken)) > 0)
            {
                buffer.Write(read, 0, count);
                if (buffer.Length > KeyPublisher.MaxInputBytes)
                {
                    await ProblemWriter.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Content Too Large", $"a certificate is at most {KeyPublisher.MaxInputBytes} bytes");
                    return;
                }
            }

            body = buffer.ToArray();
        }

        IReadOnlyList<Publication> published;
        try
        {
            published = await publisher.PublishAsync(body, address, PublicationChannel.Account, cancellationToken);
        }
        catch (Exception e) when (e is OpenPgpException or DirectoryException)
        {
            _logger.LogWarning(PublishEvent, "publish for {Address} refused: {Reason}", address, e.Message);
            await ProblemWriter.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Key refused", e.Message);
            return;
        }

        var publication = published[0];
        _logger.LogInformation(PublishEvent, "published {Fingerprint} for {Address} (revoked: {Revoked})", publication.Fingerprint, address, publication.Revoked);
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["address"] = publication.Address.Canonical,
            ["fingerprint"] = publication.Fingerprint,
            ["revoked"] = publication.Revoked,
        });
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = json.Length;
        await context.Response.Body.WriteAsync(json, cancellationToken);
    }
}
