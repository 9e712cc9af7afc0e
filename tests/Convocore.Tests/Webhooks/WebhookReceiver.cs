using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Convocore.Tests.Webhooks;

/// <summary>One request the receiver got, as it came: the raw body and the signature header.</summary>
internal sealed record ReceivedEvent(string EventId, string Type, string RawBody, string? Signature, int Status, DateTimeOffset At)
{
    public JsonNode Body => JsonNode.Parse(RawBody)!;
    public string? CallId => Body["data"]?["callId"]?.GetValue<string>();
    public bool Delivered => Status is >= 200 and < 300;
}

/// <summary>
/// A webhook receiver on a real Kestrel server: it keeps every request, answers what <see cref="Answer"/> says (200 by
/// default), can be stopped and started again on the same port, and checks signatures the way the README tells users to.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? host;
    private readonly ConcurrentDictionary<string, int> attemptsPerEvent = new();

    private int arrivals;

    public int Port { get; private set; }

    /// <summary>Requests that reached the receiver, answered or not yet.</summary>
    public int Arrivals => Volatile.Read(ref arrivals);
    public string Url => $"http://127.0.0.1:{Port}/hooks";
    public ConcurrentQueue<ReceivedEvent> Requests { get; } = new();

    /// <summary>The answer to an event's n-th request (1-based); may wait, to be a slow receiver.</summary>
    public Func<string, int, Task<int>> Answer { get; set; } = (_, _) => Task.FromResult(200);

    /// <summary>A Location header for every answer (with a 3xx <see cref="Answer"/>, a redirect).</summary>
    public string? RedirectTo { get; set; }

    public IReadOnlyList<ReceivedEvent> Delivered => Requests.Where(r => r.Delivered).ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        await receiver.StartAgainAsync();
        return receiver;
    }

    /// <summary>Starts on the port it had before (a fresh one the first time).</summary>
    public async Task StartAgainAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        app.MapPost("/hooks", async (HttpRequest request, HttpResponse response) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var eventId = request.Headers["Convocore-Event-Id"].ToString();
            var type = JsonNode.Parse(body)?["type"]?.GetValue<string>() ?? "";
            var attempt = attemptsPerEvent.AddOrUpdate(eventId, 1, (_, n) => n + 1);
            Interlocked.Increment(ref arrivals);
            var status = await Answer(eventId, attempt);
            Requests.Enqueue(new ReceivedEvent(eventId, type, body, request.Headers["Convocore-Signature"].ToString(), status, DateTimeOffset.UtcNow));
            if (RedirectTo is { } location) response.Headers.Location = location;
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        host = app;
    }

    public async Task StopAsync()
    {
        if (host is null) return;
        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(1))) await host.StopAsync(patience.Token);
        await host.DisposeAsync();
        host = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>The README's check: the HMAC of "&lt;t&gt;.&lt;body&gt;", compared in constant time, and t at most 5 minutes old.</summary>
    public static bool Verify(string secret, string? header, string body)
    {
        if (header is null) return false;
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)) return false;
        if (Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(t)) > 300) return false;
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
    }
}
