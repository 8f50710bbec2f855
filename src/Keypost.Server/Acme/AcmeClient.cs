using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Acme;

/// <summary>
/// In charge of ACME: ordering and renewing the server's certificates.
/// A small ACME client (RFC 8555): one account, one order at a time, http-01 challenges answered through
/// <see cref="AcmeChallenges"/> (served by the server's own Kestrel). It asks for a certificate over a key the
/// caller keeps, so the key, and a DANE record naming it, survive renewals.
/// </summary>
public sealed class AcmeClient(HttpClient http, Uri directoryUrl, AcmeJws jws, AcmeChallenges challenges, ILogger logger, TimeProvider clock)
{
    private const string JoseJson = "application/jose+json";
    private const int NonceRetries = 5;

    private JsonObject? _directory;
    private string? _nonce;
    private string? _kid;

    /// <summary>How long to wait between polls of a pending authorization or order.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an order may take before the attempt is given up (the next check tries again).</summary>
    public TimeSpan OrderTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Orders a certificate for <paramref name="names"/> over <paramref name="certificateKey"/> and returns the PEM
    /// chain the CA issued (leaf first).
    /// </summary>
    public async Task<string> OrderCertificateAsync(IReadOnlyList<string> names, ECDsa certificateKey, string? contactEmail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(certificateKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(OrderTimeout);
        var token = timeout.Token;
        await EnsureAccountAsync(contactEmail, token);

        // RFC 8555 §7.4: newOrder with one dns identifier per name.
        var identifiers = new JsonArray(names.Select(n => (JsonNode)new JsonObject { ["type"] = "dns", ["value"] = n }).ToArray());
        var (order, location) = await PostAsync(await DirectoryUrlAsync("newOrder", token), new JsonObject { ["identifiers"] = identifiers }, token);
        var orderUrl = location ?? throw new AcmeException("newOrder answered without a Location");
        foreach (var authorization in order["authorizations"]!.AsArray())
        {
            await AuthorizeAsync(new Uri((string)authorization!), token);
        }

        // RFC 8555 §7.4: finalize with a CSR (DER, base64url) for exactly the ordered names.
        var (finalized, _) = await PostAsync(new Uri((string)order["finalize"]!), new JsonObject { ["csr"] = AcmeJws.Base64Url(Csr(names, certificateKey)) }, token);
        order = await PollAsync(orderUrl, finalized, "valid", ["invalid"], token);
        var certificateUrl = new Uri((string?)order["certificate"] ?? throw new AcmeException("a valid order without a certificate URL"));
        using var response = await SendAsync(certificateUrl, null, "application/pem-certificate-chain", token);
        var chain = await response.Content.ReadAsStringAsync(token);
        logger.LogInformation("ACME: certificate issued for {Names}", string.Join(", ", names));
        return chain;
    }

    private async Task EnsureAccountAsync(string? contactEmail, CancellationToken cancellationToken)
    {
        if (_kid is not null)
        {
            return;
        }

        // RFC 8555 §7.3: newAccount finds the existing account for this key (200) or creates one (201).
        var payload = new JsonObject { ["termsOfServiceAgreed"] = true };
        if (contactEmail is not null)
        {
            payload["contact"] = new JsonArray("mailto:" + contactEmail);
        }

        var (_, location) = await PostAsync(await DirectoryUrlAsync("newAccount", cancellationToken), payload, cancellationToken, useJwk: true);
        _kid = location?.ToString() ?? throw new AcmeException("newAccount answered without the account URL");
    }

    private async Task AuthorizeAsync(Uri authorizationUrl, CancellationToken cancellationToken)
    {
        var (authorization, _) = await PostAsync(authorizationUrl, null, cancellationToken);
        if ((string?)authorization["status"] == "valid")
        {
            return; // RFC 8555 §7.1.4: an authorization still valid from an earlier order is reused.
        }

        var name = (string?)authorization["identifier"]?["value"];
        var challenge = authorization["challenges"]?.AsArray().FirstOrDefault(c => (string?)c?["type"] == "http-01")
            ?? throw new AcmeException($"the CA offers no http-01 challenge for {name}");
        var token = (string)challenge["token"]!;
        challenges.Add(token, jws.KeyAuthorization(token));
        try
        {
            // RFC 8555 §7.5.1: an empty object tells the CA the answer is in place.
            await PostAsync(new Uri((string)challenge["url"]!), new JsonObject(), cancellationToken);
            await PollAsync(authorizationUrl, null, "valid", ["invalid", "deactivated", "expired", "revoked"], cancellationToken);
            logger.LogInformation("ACME: {Name} validated by http-01", name);
        }
        finally
        {
            challenges.Remove(token);
        }
    }

    private async Task<JsonObject> PollAsync(Uri url, JsonObject? first, string done, string[] failed, CancellationToken cancellationToken)
    {
        var current = first;
        while (true)
        {
            if (current is null)
            {
                (current, _) = await PostAsync(url, null, cancellationToken);
            }

            var status = (string?)current["status"];
            if (status == done)
            {
                return current;
            }

            if (failed.Contains(status))
            {
                throw new AcmeException($"{url} is {status}: {current["error"]?.ToJsonString() ?? FirstChallengeError(current)}");
            }

            await Task.Delay(PollInterval, clock, cancellationToken);
            current = null;
        }
    }

    private static string FirstChallengeError(JsonObject authorization) =>
        authorization["challenges"]?.AsArray().Select(c => c?["error"]?.ToJsonString()).FirstOrDefault(e => e is not null) ?? "no detail";

    private async Task<(JsonObject Body, Uri? Location)> PostAsync(Uri url, JsonNode? payload, CancellationToken cancellationToken, bool useJwk = false)
    {
        using var response = await SendAsync(url, payload, "application/json", cancellationToken, useJwk);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var body = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) as JsonObject ?? throw new AcmeException($"{url} answered {text}");
        return (body, response.Headers.Location);
    }

    // Every request is a signed POST with a fresh nonce (RFC 8555 §6.2, §6.5); a badNonce refusal is retried with
    // the nonce that came with it (§6.5: "the client SHOULD retry").
    private async Task<HttpResponseMessage> SendAsync(Uri url, JsonNode? payload, string accept, CancellationToken cancellationToken, bool useJwk = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            var nonce = _nonce ?? await NewNonceAsync(cancellationToken);
            _nonce = null;
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(jws.Sign(url.ToString(), nonce, useJwk ? null : _kid, payload), Encoding.UTF8),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseJson);
            request.Headers.Accept.ParseAdd(accept);
            var response = await http.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Replay-Nonce", out var nonces))
            {
                _nonce = nonces.FirstOrDefault();
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var problem = await response.Content.ReadAsStringAsync(cancellationToken);
                var type = TryProblemType(problem);
                if (type == "urn:ietf:params:acme:error:badNonce" && attempt < NonceRetries)
                {
                    continue;
                }

                throw new AcmeException($"{url}: {(int)response.StatusCode} {problem}", type);
            }
        }
    }

    private async Task<string> NewNonceAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, await DirectoryUrlAsync("newNonce", cancellationToken));
        using var response = await http.SendAsync(request, cancellationToken);
        return response.Headers.TryGetValues("Replay-Nonce", out var nonces) && nonces.FirstOrDefault() is { } nonce
            ? nonce
            : throw new AcmeException($"newNonce answered {(int)response.StatusCode} without a Replay-Nonce");
    }

    private async Task<Uri> DirectoryUrlAsync(string resource, CancellationToken cancellationToken)
    {
        if (_directory is null)
        {
            using var response = await http.GetAsync(directoryUrl, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new AcmeException($"the ACME directory {directoryUrl} answered {(int)response.StatusCode}");
            }

            _directory = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject
                ?? throw new AcmeException($"the ACME directory {directoryUrl} is not a JSON object");
        }

        return _directory[resource] is JsonValue value && Uri.TryCreate((string?)value, UriKind.Absolute, out var url)
            ? url
            : throw new AcmeException($"the ACME directory has no {resource}");
    }

    private static string? TryProblemType(string problem)
    {
        try
        {
            return (string?)(JsonNode.Parse(problem) as JsonObject)?["type"];
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static byte[] Csr(IReadOnlyList<string> names, ECDsa key)
    {
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        return request.CreateSigningRequest();
    }
}
