using System.Net;
using Keypost.Client.Devices;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Accounts;

namespace Keypost.Server.Tests.Devices;

/// <summary>
/// /keypost/v1/devices over real HTTPS: scoped to the authenticated account, every refusal an RFC 9457 problem
/// with its reason, and nothing about the address's published key changes through it.
/// </summary>
public sealed class DeviceEndpointTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Han = EmailAddress.Parse("han@jedi.test");

    [Fact]
    public async Task A_device_request_goes_pending_approved_removed_and_other_accounts_see_none_of_it()
    {
        await using var server = await TestServer.StartAsync();
        await server.Server.Store.SetPasswordHashAsync(Luke, new PasswordHasher().Hash("luke-pw"), CancellationToken.None);
        await server.Server.Store.SetPasswordHashAsync(Han, new PasswordHasher().Hash("han-pw"), CancellationToken.None);
        using var http = server.CreateClient();
        var luke = new DeviceClient(http, Luke, "luke-pw");
        var han = new DeviceClient(http, Han, "han-pw");
        var phone = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "phone" });

        var wrongPassword = await Assert.ThrowsAsync<DeviceException>(() => new DeviceClient(http, Luke, "nope").ListAsync(CancellationToken.None));
        Assert.Equal(401, wrongPassword.Status);

        // A device key for another address: a device joins the account it logs in as.
        var leias = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
        var foreignKey = await Assert.ThrowsAsync<DeviceException>(() => luke.RequestAsync(leias.Certificate.ToBinary(), "x", CancellationToken.None));
        Assert.Equal(422, foreignKey.Status);
        Assert.Contains("not for luke@jedi.test", foreignKey.Message, StringComparison.Ordinal);
        var garbage = await Assert.ThrowsAsync<DeviceException>(() => luke.RequestAsync("not a key"u8.ToArray(), "x", CancellationToken.None));
        Assert.Equal(422, garbage.Status);

        var filed = await luke.RequestAsync(phone.Certificate.ToBinary(), "phone", CancellationToken.None);
        Assert.Equal("pending", filed.State);
        Assert.Equal(phone.Fingerprint, filed.Fingerprint);
        var pending = await Assert.ThrowsAsync<DeviceException>(() => luke.GetPackageAsync(filed.Id, CancellationToken.None));
        Assert.Equal(409, pending.Status);
        Assert.Contains("waiting for approval", pending.Message, StringComparison.Ordinal);

        // The problem is RFC 9457 JSON.
        using (var raw = new HttpRequestMessage(HttpMethod.Get, $"https://openpgpkey.jedi.test/keypost/v1/devices/{filed.Id}/package"))
        {
            raw.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("luke@jedi.test:luke-pw"u8.ToArray()));
            using var response = await http.SendAsync(raw);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // Han's password reaches none of Luke's devices.
        Assert.Empty(await han.ListAsync(CancellationToken.None));
        Assert.Equal(404, (await Assert.ThrowsAsync<DeviceException>(() => han.GetAsync(filed.Id, CancellationToken.None))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<DeviceException>(() => han.PutPackageAsync(filed.Id, [1, 2, 3], CancellationToken.None))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<DeviceException>(() => han.RemoveAsync(filed.Id, CancellationToken.None))).Status);

        var approved = await luke.PutPackageAsync(filed.Id, [1, 2, 3], CancellationToken.None);
        Assert.Equal(("approved", 1), (approved.State, approved.PackageVersion));
        var package = await luke.GetPackageAsync(filed.Id, CancellationToken.None);
        Assert.Equal(1, package.Version);
        Assert.Equal([1, 2, 3], package.Message);
        Assert.Equal(2, (await luke.PutPackageAsync(filed.Id, [4], CancellationToken.None)).PackageVersion);
        var shown = await luke.GetAsync(filed.Id, CancellationToken.None);
        Assert.Equal(phone.Fingerprint, Certificate.Parse(shown.Certificate!).Fingerprint);

        var tooLarge = await Assert.ThrowsAsync<DeviceException>(() => luke.PutPackageAsync(filed.Id, new byte[300 * 1024], CancellationToken.None));
        Assert.Equal(413, tooLarge.Status);

        Assert.Equal("removed", (await luke.RemoveAsync(filed.Id, CancellationToken.None)).State);
        Assert.Equal(410, (await Assert.ThrowsAsync<DeviceException>(() => luke.GetPackageAsync(filed.Id, CancellationToken.None))).Status);
        Assert.Equal(410, (await Assert.ThrowsAsync<DeviceException>(() => luke.PutPackageAsync(filed.Id, [5], CancellationToken.None))).Status);
        Assert.Equal(410, (await Assert.ThrowsAsync<DeviceException>(() => luke.RemoveAsync(filed.Id, CancellationToken.None))).Status);
        Assert.Equal("removed", Assert.Single(await luke.ListAsync(CancellationToken.None)).State);

        // Devices never publish anything: only the first device's signed publication changes the key.
        Assert.Empty(await server.Server.Store.HistoryAsync(Luke, CancellationToken.None));
    }
}
