using Convocore.Contracts.Audit;
using Convocore.Silo.Audit;
using Convocore.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Convocore.Tests.Audit;

/// <summary>The log against a real Redis with a clock of its own: entries past retention are trimmed by the next write and never shown.</summary>
public sealed class AuditRetentionTests : IAsyncLifetime
{
    private RedisServer redis = null!;
    private ConnectionMultiplexer connection = null!;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
    }

    [Fact]
    public async Task Entries_older_than_retention_are_trimmed_on_the_next_write_and_hidden_before_it()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [AuditLog.RetentionSetting] = "30" }).Build();
        var log = new AuditLog(connection, configuration, clock);
        var db = connection.GetDatabase();

        var old = Entry(clock.GetUtcNow(), "old");
        await log.Write("ws1", old);
        clock.Now += TimeSpan.FromDays(20);
        var recent = Entry(clock.GetUtcNow(), "recent");
        await log.Write("ws1", recent);
        Assert.Equal(["recent", "old"], (await log.Read("ws1", Query())).Items.Select(e => e.TargetId));

        // Past retention: hidden at once, before any write has removed it.
        clock.Now += TimeSpan.FromDays(11);
        Assert.Equal(["recent"], (await log.Read("ws1", Query())).Items.Select(e => e.TargetId));
        Assert.Equal(2, await db.SortedSetLengthAsync("convocore:ws:{ws1}:audit"));

        // The next write trims it from both keys; an entry older than retention is not written at all (a late copy from an outbox).
        await log.Write("ws1", [Entry(clock.GetUtcNow(), "new"), Entry(clock.GetUtcNow() - TimeSpan.FromDays(40), "ancient")]);
        Assert.Equal(2, await db.SortedSetLengthAsync("convocore:ws:{ws1}:audit"));
        Assert.Equal(2, await db.HashLengthAsync("convocore:ws:{ws1}:audit:entries"));
        Assert.Equal(["new", "recent"], (await log.Read("ws1", Query())).Items.Select(e => e.TargetId));

        // Idempotent: the same entry twice is one.
        await log.Write("ws1", recent);
        Assert.Equal(2, (await log.Read("ws1", Query())).Items.Count);
    }

    [Fact]
    public async Task The_default_retention_is_400_days()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var log = new AuditLog(connection, new ConfigurationBuilder().Build(), clock);
        await log.Write("ws2", Entry(clock.GetUtcNow(), "kept"));
        clock.Now += TimeSpan.FromDays(399);
        Assert.Single((await log.Read("ws2", Query())).Items);
        clock.Now += TimeSpan.FromDays(2);
        Assert.Empty((await log.Read("ws2", Query())).Items);
    }

    private static AuditEntry Entry(DateTimeOffset at, string target) =>
        AuditLog.Entry(AuditActions.AgentCreated, AuditTargets.Agent, target, null, new() { ["title"] = target }, new AuditActor("key", AuditSources.Api), at);

    private static AuditQuery Query() => new(null, null, null, null, null, 50);

    public async Task DisposeAsync()
    {
        await connection.DisposeAsync();
        await redis.DisposeAsync();
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
