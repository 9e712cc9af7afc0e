using System.Text.Json;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Convocore.Tests.Reliability;

/// <summary>
/// A real silo process whose real redis-server is frozen (SIGSTOP) for longer than StackExchange.Redis waits for an
/// answer (5 s), so every background loop of the silo meets RedisTimeoutException, then thawed (SIGCONT).
/// </summary>
public sealed class SiloRedisPauseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Application = "convocore";
    private static readonly TimeSpan LongerThanTheRedisTimeout = TimeSpan.FromSeconds(11);

    private readonly AriSimulator.AriSimulator asterisk = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });
    private RedisServer redis = null!;
    private ConnectionMultiplexer? connection;
    private SiloProcess? silo;

    private IDatabase Db => (connection ??= ConnectionMultiplexer.Connect(redis.ConnectionString)).GetDatabase();

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        await asterisk.StartAsync();
    }

    [Fact]
    public async Task A_silo_keeps_running_through_a_Redis_pause_longer_than_the_client_timeout_and_its_loops_resume()
    {
        await StartSilo();
        var before = await Call();
        await Eventually.True(() => Ingested(before), "a call before the pause is in the call log");

        redis.Pause();
        var paused = DateTime.UtcNow;
        var during = new List<string>();
        while (DateTime.UtcNow - paused < LongerThanTheRedisTimeout) during.Add(await Call());
        redis.Resume();
        var resumed = System.Diagnostics.Stopwatch.StartNew();

        // A background service that fails stops the host: give it time to do so before looking.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(silo!.HasExited, "the silo process stopped");

        // The recorder writes what it kept, the ingester applies it, a call after the pause goes the same way.
        var after = await Call();
        foreach (var channel in during.Append(after))
            await Eventually.True(() => Ingested(channel), $"call {channel} is in the call log", 30);
        output.WriteLine($"Redis paused {LongerThanTheRedisTimeout.TotalSeconds:F0} s; {during.Count} calls made meanwhile, all in the call log " +
                         $"{resumed.Elapsed.TotalSeconds:F1} s after Redis came back (3 s of it waiting to see whether the silo stops)");
        // The sweeper reconciles again: a workspace marked as having a change in flight is settled and unmarked.
        var marked = "pausetest" + Guid.NewGuid().ToString("N")[..8];
        await Db.SetAddAsync("convocore:pending-workspaces", marked);
        await Eventually.True(async () => !await Db.SetContainsAsync("convocore:pending-workspaces", marked), "the sweeper unmarks the workspace", 30);

        Assert.False(silo.HasExited, "the silo process stopped");
        // Each loop says once that it fails, not on every retry.
        Assert.Equal(1, Occurrences(silo.Log, "Writing call records to Redis failed"));
        Assert.Equal(1, Occurrences(silo.Log, "Applying call records failed"));
    }

    [Fact]
    public async Task A_silo_stopped_with_SIGTERM_while_Redis_is_paused_writes_every_queued_call_record_before_it_exits()
    {
        await StartSilo();
        await Eventually.True(async () => await Db.KeyExistsAsync("convocore:calls"), "the ingester created the stream");

        redis.Pause();
        // The first record's write hangs on the frozen server, the next ones wait in the recorder's queue behind it.
        var queued = new List<string> { await Call() };
        queued.AddRange(await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Call())));

        silo!.Terminate();
        await Task.Delay(TimeSpan.FromSeconds(1));
        redis.Resume();
        await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var streamed = (await Db.StreamRangeAsync("convocore:calls", "-", "+")).Where(e => !e["call"].IsNull)
            .Select(e => JsonSerializer.Deserialize((string)e["call"]!, CallRecordJsonContext.Default.CallRecord)!.ChannelId)
            .ToHashSet();
        Assert.All(queued, channel => Assert.Contains(channel, streamed));
    }

    private async Task StartSilo()
    {
        silo = SiloProcess.Start(redis, asterisk, "paused-redis", new Dictionary<string, string>
        {
            ["Convocore__Numbers__ReconcileIntervalSeconds"] = "0.5",
            ["Convocore__Analytics__PollInterval"] = "00:00:00.05",
        });
        await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A call to a number nobody has: released at once, or with congestion while Redis is away; recorded either way.</summary>
    private async Task<string> Call()
    {
        var call = asterisk.PlaceCall(TestNumbers.Next(), "+15550001111");
        var outcome = await call.Outcome.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        return call.ChannelId;
    }

    private async Task<bool> Ingested(string channelId) =>
        (await Db.HashKeysAsync("convocore:{unowned}:call-records")).Any(k => ((string)k!).EndsWith("|" + channelId, StringComparison.Ordinal));

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    public async Task DisposeAsync()
    {
        if (silo is not null)
        {
            silo.Kill();
            output.WriteLine($"--- silo ---\n{silo.Log}");
        }
        connection?.Dispose();
        await asterisk.DisposeAsync();
        await redis.DisposeAsync();
    }
}
