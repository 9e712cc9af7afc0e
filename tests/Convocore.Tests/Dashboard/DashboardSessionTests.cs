using System.Net;
using System.Text;
using Convocore.Tests.Infrastructure;
using Convocore.Web.Dashboard;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>Dashboard sessions are the server's: the cookie names one, revoking the key or signing out ends it, live connections included.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardSessionTests(DashboardSystem system)
{
    [Fact]
    public async Task The_session_cookie_carries_neither_the_API_key_nor_its_id_only_the_session()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "Cookie contents");
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignIn(workspace.ApiKey);
        var cookie = Assert.Single(await dashboard.Page.Context.CookiesAsync(), c => c.Name == DashboardSession.CookieName);

        // What the cookie holds once decrypted with the web app's own keys.
        var format = system.WebServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(DashboardSession.CookieScheme).TicketDataFormat;
        var ticket = format.Unprotect(cookie.Value);
        Assert.NotNull(ticket);
        var claims = ticket.Principal.Claims.Select(c => c.Value).Concat(ticket.Properties.Items.Values.OfType<string>()).ToArray();
        Assert.Single(ticket.Principal.Claims);
        Assert.DoesNotContain(claims, value => value.Contains(workspace.ApiKey[^16..], StringComparison.Ordinal));
        Assert.DoesNotContain(claims, value => value.Contains(workspace.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_sign_out_the_old_session_cookie_opens_nothing()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "Replayed cookie");
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignIn(workspace.ApiKey);
        var cookie = Assert.Single(await dashboard.Page.Context.CookiesAsync(), c => c.Name == DashboardSession.CookieName);
        Assert.Equal(HttpStatusCode.OK, await WithCookie(cookie.Value));

        await dashboard.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(dashboard.Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();

        // The copy someone kept (or stole) before the sign-out: the server forgot the session it names.
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookie(cookie.Value));
    }

    [Fact]
    public async Task Revoking_a_key_closes_its_live_connections_within_5_seconds_and_its_dashboards_go_to_sign_in()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Pro", "Live revocation");
        var operatorApi = new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey);
        var issued = await operatorApi.Post($"/api/admin/workspaces/{workspace.Id}/api-keys");
        var revokedKey = issued.Body!["apiKey"]!.GetValue<string>();

        await using var kept = await system.OpenDashboard();
        await kept.SignInLive(workspace.ApiKey);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(revokedKey);
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(system.WebAddress, "/hubs/live"), o => o.Headers["Authorization"] = "Bearer " + revokedKey)
            .Build();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        await hub.StartAsync();

        var revoked = await operatorApi.Delete($"/api/admin/workspaces/{workspace.Id}/api-keys/{issued.Body!["keyId"]!.GetValue<string>()}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.Status);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await dashboard.Page.WaitForFunctionAsync("() => window.convocoreLiveState() !== 'Connected'", null,
            new() { Timeout = (float)Math.Max(1, 5000 - clock.Elapsed.TotalMilliseconds) });
        await Expect(dashboard.Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        // The other key's dashboard is not touched.
        Assert.Equal("Connected", await kept.Page.EvaluateAsync<string>("() => window.convocoreLiveState()"));
        await Expect(kept.Usage).ToHaveTextAsync("0 of 50 numbers · Pro plan");
    }

    [Fact]
    public async Task Outside_Development_the_session_cookie_is_Secure_and_HTTPS_answers_carry_HSTS()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "Behind TLS");
        // A replica behind a TLS-terminating proxy, which says so with X-Forwarded-Proto.
        await using var web = system.StartAnotherWeb(new Dictionary<string, string?> { ["FORWARDEDHEADERS_ENABLED"] = "true" });
        using var http = web.CreateClient();

        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/api/session")
        {
            Content = new StringContent($$"""{"apiKey":"{{workspace.ApiKey}}"}""", Encoding.UTF8, "application/json"),
        };
        signIn.Headers.Add(DashboardSession.CsrfHeader, "1");
        using var plain = await http.SendAsync(signIn);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var setCookie = Assert.Single(plain.Headers.GetValues("Set-Cookie"), c => c.StartsWith(DashboardSession.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"), "HSTS is only for HTTPS answers");

        using var overTls = new HttpRequestMessage(HttpMethod.Get, "/");
        overTls.Headers.Host = "numbers.example.test";
        overTls.Headers.Add("X-Forwarded-Proto", "https");
        using var page = await http.SendAsync(overTls);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("max-age=", Assert.Single(page.Headers.GetValues("Strict-Transport-Security")));
    }

    private async Task<HttpStatusCode> WithCookie(string value)
    {
        using var http = new HttpClient { BaseAddress = system.WebAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/workspace");
        request.Headers.Add("Cookie", $"{DashboardSession.CookieName}={value}");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
