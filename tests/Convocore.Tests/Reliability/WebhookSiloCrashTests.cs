using System.Net;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Convocore.Tests.Webhooks;
using Xunit.Abstractions;

namespace Convocore.Tests.Reliability;

/// <summary>A real silo process killed (SIGKILL) while a webhook request is in flight; a new silo delivers everything, per call in order.</summary>
public sealed class WebhookSiloCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly string[] CallTypes = ["call.started", "call.routed", "call.ended"];
    private static readonly Dictionary<string, string> Settings = WebhookSystem.Settings
        .ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);

    private SiloProcessCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await SiloProcessCluster.StartAsync(1, Settings);

    [Fact]
    public async Task Events_queued_and_in_flight_when_the_silo_is_killed_are_all_delivered_in_order_by_the_next_silo()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The first request is held until its silo is dead: its answer goes to no one.
        receiver.Answer = async (_, _) =>
        {
            if (receiver.Arrivals == 1) await killed.Task;
            return 200;
        };
        var ws = await ApiClient.CreateWorkspace(cluster.WebAddress, "Pro");
        var agent = await ws.CreateAgent();
        var trunk = await ws.CreateTrunk();
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(trunk, number, agent)).Status);
        var (_, secret) = await WebhookApi.Create(ws.Api, receiver.Url, CallTypes);
        var calls = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var call = cluster.Asterisk.PlaceCall(number, "+442071230000");
            Assert.Equal(CallOutcomeKind.Continued, (await call.Outcome.WaitAsync(Patience)).Kind);
            Assert.True(cluster.Asterisk.EndCall(call.ChannelId));
            calls.Add(call.ChannelId);
        }
        await Eventually.True(() => Task.FromResult(receiver.Arrivals >= 1), "a request in flight");

        cluster.Silos[0].Kill();
        killed.SetResult();
        cluster.Silos.Add(SiloProcess.Start(cluster.Redis, cluster.Asterisk, "silo-1", Settings));

        try
        {
            await Eventually.True(() => Task.FromResult(receiver.Delivered.Select(r => r.EventId).Distinct().Count() == 15),
                "every event of the five calls delivered after the restart", seconds: 90);
        }
        finally
        {
            output.WriteLine("delivered: " + string.Join(", ", receiver.Delivered.Select(r => $"{r.CallId}:{r.Type}")));
            foreach (var silo in cluster.Silos) output.WriteLine(silo.Log);
        }
        foreach (var call in calls)
        {
            var delivered = receiver.Delivered.Where(r => r.CallId == call).Select(r => r.Type).ToList();
            // At least once: the held event may come twice (its answer was lost with the silo), never out of order.
            Assert.Equal(CallTypes, delivered.Distinct());
            Assert.Equal(delivered.Order(Comparer<string>.Create((a, b) => Array.IndexOf(CallTypes, a) - Array.IndexOf(CallTypes, b))), delivered);
        }
        Assert.All(receiver.Requests, r => Assert.True(WebhookReceiver.Verify(secret, r.Signature, r.RawBody)));
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();
}
