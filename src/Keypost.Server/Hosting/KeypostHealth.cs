using System.Text.Json;
using Keypost.Server.Mail;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Keypost.Server.Hosting;

/// <summary>
/// Answers /healthz: 200 while the server runs, 503 while it starts or drains, so a load balancer or an
/// orchestrator stops sending new work before the listeners close. The body says why, and the queue's depth.
/// </summary>
internal sealed class KeypostHealth(IHostApplicationLifetime lifetime, ServerParts parts)
{
    public async Task WriteAsync(HttpContext context)
    {
        var status = lifetime.ApplicationStopping.IsCancellationRequested ? "draining"
            : lifetime.ApplicationStarted.IsCancellationRequested ? "ok"
            : "starting";
        context.Response.StatusCode = status == "ok" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var body = new Dictionary<string, object?> { ["status"] = status };
        if (parts.Mail is MailHost mail)
        {
            body["queueDepth"] = mail.Queue.Depth;
        }

        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body), context.RequestAborted);
    }
}
