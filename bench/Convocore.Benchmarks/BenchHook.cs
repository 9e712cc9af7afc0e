using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Convocore.Benchmarks;

/// <summary>A customer's routing hook for the routing bench: Kestrel on loopback, answering <c>{}</c> (the number's own agent) at once.</summary>
internal sealed class BenchHook : IAsyncDisposable
{
    private readonly WebApplication app;

    private BenchHook(WebApplication app) => this.app = app;

    public string Url => app.Urls.First() + "/route";

    public static async Task<BenchHook> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/route", async (HttpRequest request) =>
        {
            // Read the body as a real hook would before answering.
            using var reader = new StreamReader(request.Body);
            await reader.ReadToEndAsync();
            return Results.Text("{}", "application/json");
        });
        await app.StartAsync();
        return new BenchHook(app);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
