using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Convocore.Tests.RoutingHook;

/// <summary>One request the hook got, as it came.</summary>
internal sealed record HookRequest(string RawBody, string? Signature, string? EventId)
{
    public JsonNode Body => JsonNode.Parse(RawBody)!;
}

/// <summary>
/// A customer's routing hook on a real Kestrel server (loopback): keeps every request, and answers what
/// <see cref="Answer"/> says for the called number (status and body; it may wait, to be a slow hook).
/// </summary>
internal sealed class HookServer : IAsyncDisposable
{
    private WebApplication? host;

    public string Url { get; private set; } = "";
    public ConcurrentQueue<HookRequest> Requests { get; } = new();

    /// <summary>Status and body for a request, by its phoneNumber.</summary>
    public ConcurrentDictionary<string, Func<Task<(int Status, string Body)>>> Answers { get; } = new();

    public IReadOnlyList<HookRequest> For(string phoneNumber) =>
        Requests.Where(r => r.Body["phoneNumber"]?.GetValue<string>() == phoneNumber).ToList();

    public static async Task<HookServer> StartAsync()
    {
        var server = new HookServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/route", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var hookRequest = new HookRequest(body, request.Headers["Convocore-Signature"].ToString(), request.Headers["Convocore-Event-Id"].ToString());
            server.Requests.Enqueue(hookRequest);
            var number = hookRequest.Body["phoneNumber"]?.GetValue<string>() ?? "";
            var (status, answer) = server.Answers.TryGetValue(number, out var decide) ? await decide() : (200, "{}");
            return Results.Text(answer, "application/json", Encoding.UTF8, status);
        });
        await app.StartAsync();
        server.Url = app.Urls.First() + "/route";
        server.host = app;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (host is null) return;
        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(1))) await host.StopAsync(patience.Token);
        await host.DisposeAsync();
    }
}
