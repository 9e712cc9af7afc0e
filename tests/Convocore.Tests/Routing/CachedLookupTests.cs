using Convocore.Silo.Routing;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Routing;

/// <summary>The map behind the routing table, with real concurrency: what it keeps, shares and forgets.</summary>
public sealed class CachedLookupTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly ManualClock clock = new();

    [Fact]
    public async Task A_loaded_entry_is_answered_at_once_without_loading_again()
    {
        var loads = 0;
        var lookup = new CachedLookup<string>(clock, Long, key => Task.FromResult($"{key}:{Interlocked.Increment(ref loads)}"));

        Assert.Equal("a:1", await lookup.Get("a"));
        var again = lookup.Get("a");

        Assert.True(again.IsCompletedSuccessfully);
        Assert.Equal("a:1", await again);
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task Concurrent_misses_of_one_key_share_one_load()
    {
        var loads = 0;
        var gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lookup = new CachedLookup<string>(clock, Long, _ =>
        {
            Interlocked.Increment(ref loads);
            return gate.Task;
        });

        var waiting = Enumerable.Range(0, 64).Select(_ => Task.Run(() => lookup.Get("k").AsTask())).ToArray();
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        gate.SetResult("value");
        var answers = await Task.WhenAll(waiting).WaitAsync(Patience);

        Assert.All(answers, a => Assert.Equal("value", a));
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task A_load_that_a_forget_overtook_answers_its_waiters_but_is_not_kept()
    {
        var loads = 0;
        var gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lookup = new CachedLookup<string>(clock, Long, _ => Interlocked.Increment(ref loads) == 1 ? gate.Task : Task.FromResult("new"));

        var before = lookup.Get("k");
        lookup.Forget("k"); // the change landed while the first load was on its way
        gate.SetResult("old");

        Assert.Equal("old", await before.AsTask().WaitAsync(Patience));
        Assert.Equal("new", await lookup.Get("k"));
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task A_forgotten_entry_is_loaded_again_by_the_next_get()
    {
        var value = "first";
        var lookup = new CachedLookup<string>(clock, Long, _ => Task.FromResult(value));
        Assert.Equal("first", await lookup.Get("k"));

        value = "second";
        Assert.Equal("first", await lookup.Get("k"));
        lookup.Forget("k");

        Assert.Equal("second", await lookup.Get("k"));
    }

    [Fact]
    public async Task A_failed_load_is_not_kept()
    {
        var loads = 0;
        var lookup = new CachedLookup<string>(clock, Long, _ => Interlocked.Increment(ref loads) == 1
            ? Task.FromException<string>(new TimeoutException("grain did not answer"))
            : Task.FromResult("ok"));

        await Assert.ThrowsAsync<TimeoutException>(() => lookup.Get("k").AsTask());
        Assert.Equal("ok", await lookup.Get("k"));
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task An_answer_the_keep_rule_refuses_is_returned_but_asked_again_next_time()
    {
        var loads = 0;
        var lookup = new CachedLookup<string?>(clock, Long, _ => { Interlocked.Increment(ref loads); return Task.FromResult<string?>(null); },
            keep: value => value is not null);

        Assert.Null(await lookup.Get("unknown"));
        Assert.Null(await lookup.Get("unknown"));

        Assert.Equal(2, loads);
        Assert.Equal(0, lookup.Count);
    }

    [Fact]
    public async Task An_entry_older_than_its_lifetime_is_loaded_again_before_it_answers()
    {
        var loads = 0;
        var lookup = new CachedLookup<int>(clock, TimeSpan.FromSeconds(60), _ => Task.FromResult(Interlocked.Increment(ref loads)));
        Assert.Equal(1, await lookup.Get("k"));

        clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(2, await lookup.Get("k"));
        Assert.Equal(2, await lookup.Get("k"));
    }

    [Fact]
    public async Task An_entry_past_half_its_lifetime_answers_at_once_and_is_refreshed_in_the_background()
    {
        var loads = 0;
        var refresh = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lookup = new CachedLookup<int>(clock, TimeSpan.FromSeconds(60), _ => Interlocked.Increment(ref loads) == 1 ? Task.FromResult(1) : refresh.Task);
        Assert.Equal(1, await lookup.Get("k"));
        clock.Advance(TimeSpan.FromSeconds(31));

        var stale = lookup.Get("k");
        var again = lookup.Get("k");

        Assert.True(stale.IsCompletedSuccessfully && again.IsCompletedSuccessfully, "an entry within its lifetime answers without waiting");
        Assert.Equal((1, 1), (await stale, await again));
        Assert.Equal(2, loads); // one refresh, however many calls
        refresh.SetResult(2);
        await Eventually.True(() => Task.FromResult(lookup.Get("k") is { IsCompletedSuccessfully: true, Result: 2 }), "the refreshed value", 5);
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task A_refresh_that_a_forget_overtook_is_not_kept()
    {
        var loads = 0;
        // Continuations run inline: by the time SetResult returns, the refresh has tried to keep its answer.
        var refresh = new TaskCompletionSource<string>();
        var lookup = new CachedLookup<string>(clock, TimeSpan.FromSeconds(60), _ => Interlocked.Increment(ref loads) switch
        {
            1 => Task.FromResult("first"),
            2 => refresh.Task, // the background refresh, held until after the change
            _ => Task.FromResult("after the change"),
        });
        Assert.Equal("first", await lookup.Get("k"));
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("first", await lookup.Get("k").AsTask().WaitAsync(Patience)); // starts the refresh

        lookup.Forget("k");
        refresh.SetResult("read before the change");

        Assert.Equal("after the change", await lookup.Get("k").AsTask().WaitAsync(Patience));
        Assert.Equal(3, loads);
    }

    [Fact]
    public async Task Gets_and_forgets_of_many_keys_in_parallel_always_end_with_the_latest_value()
    {
        var versions = new int[16];
        var lookup = new CachedLookup<int>(clock, Long, async key =>
        {
            await Task.Yield();
            return Volatile.Read(ref versions[int.Parse(key)]);
        });

        // Writers bump a key's version, then forget it (as a grain writes, then invalidates); readers read all the while.
        var writers = Enumerable.Range(0, versions.Length).Select(k => Task.Run(async () =>
        {
            for (var v = 1; v <= 200; v++)
            {
                Volatile.Write(ref versions[k], v);
                lookup.Forget(k.ToString());
                await lookup.Get(k.ToString());
            }
        }));
        var readers = Enumerable.Range(0, 8).Select(r => Task.Run(async () =>
        {
            for (var i = 0; i < 4000; i++) await lookup.Get((i % versions.Length).ToString());
        }));
        await Task.WhenAll(writers.Concat(readers)).WaitAsync(TimeSpan.FromSeconds(60));

        for (var k = 0; k < versions.Length; k++) Assert.Equal(200, await lookup.Get(k.ToString()));
    }
}

/// <summary>A clock that moves only when told to.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long now = 1;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref now);

    public void Advance(TimeSpan by) => Interlocked.Add(ref now, by.Ticks);
}
