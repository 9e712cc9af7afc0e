using System.Collections.Concurrent;
using System.Diagnostics;

namespace Convocore.Silo.Routing;

/// <summary>
/// A key → value map filled on demand by an asynchronous load, for the routing table. A hit is a dictionary read.
/// Concurrent misses of one key share one load. <see cref="Forget"/> removes the entry whether it is loaded or still
/// loading, and a load never inserts anything itself (its entry is put in place before it starts; a refresh replaces
/// only the very entry it refreshes): so a load that raced a change can answer the calls that were already waiting for
/// it, but is never kept for the calls after.
/// An entry past half its lifetime is refreshed in the background while it keeps answering; one past its lifetime is
/// loaded again before it answers.
/// </summary>
internal sealed class CachedLookup<T>(TimeProvider clock, TimeSpan lifetime, Func<string, Task<T>> load, Func<T, bool>? keep = null)
{
    /// <summary>A load slower than this fails, so the calls after it ask again instead of joining a lookup that hangs.</summary>
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly TimeSpan lifetime = lifetime;
    private readonly TimeSpan refreshAfter = lifetime / 2;
    private readonly Func<string, Task<T>> load = load;
    private readonly Func<T, bool> keep = keep ?? (_ => true);

    public int Count => entries.Count;

    public ValueTask<T> Get(string key)
    {
        if (entries.TryGetValue(key, out var entry) && entry.IsLoaded)
        {
            var age = clock.GetElapsedTime(entry.LoadedAt);
            if (age < lifetime)
            {
                if (age >= refreshAfter && entry.TryBeginRefresh()) _ = Refresh(key, entry);
                return new ValueTask<T>(entry.Value);
            }
        }
        return new ValueTask<T>(Load(key));
    }

    public void Forget(string key) => entries.TryRemove(key, out _);

    /// <summary>Drops every entry, and every lookup in flight.</summary>
    public void Clear() => entries.Clear();

    private Task<T> Load(string key)
    {
        var fresh = Entry.Pending();
        while (true)
        {
            if (entries.TryGetValue(key, out var existing))
            {
                if (existing.Loading is { } loading) return loading;
                if (existing.IsLoaded && clock.GetElapsedTime(existing.LoadedAt) < lifetime) return Task.FromResult(existing.Value);
                if (entries.TryUpdate(key, fresh, existing)) break;
            }
            else if (entries.TryAdd(key, fresh))
            {
                break;
            }
        }
        var answer = fresh.Loading!; // taken first: a load that completes at once clears it
        _ = Fill(key, fresh);
        return answer;
    }

    private async Task Fill(string key, Entry entry)
    {
        // In the trace of the call (or request) that missed; the calls that join this load wait for it without a span.
        using var span = CallTracing.StartLookup(key);
        T value;
        try
        {
            value = await load(key).WaitAsync(LoadTimeout);
            entry.Loaded(value, clock.GetTimestamp());
            if (!keep(value)) entries.TryRemove(KeyValuePair.Create(key, entry));
        }
        catch (Exception ex)
        {
            entries.TryRemove(KeyValuePair.Create(key, entry));
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            entry.Fail(ex);
            return;
        }
        entry.Answer(value);
    }

    private async Task Refresh(string key, Entry stale)
    {
        // Background work a warm call only set off: in no call's trace.
        Activity.Current = null;
        try
        {
            var value = await load(key).WaitAsync(LoadTimeout);
            // Fails when the entry was forgotten (or replaced) meanwhile: then this answer may predate a change.
            if (keep(value)) entries.TryUpdate(key, Entry.Of(value, clock.GetTimestamp()), stale);
            else entries.TryRemove(KeyValuePair.Create(key, stale));
        }
        catch (Exception)
        {
            stale.EndRefresh(); // the entry answers on; the next call past half its lifetime tries again
        }
    }

    private sealed class Entry
    {
        private TaskCompletionSource<T>? loading;
        private volatile bool loaded;
        private int refreshing;

        public static Entry Pending() => new() { loading = new(TaskCreationOptions.RunContinuationsAsynchronously) };

        public static Entry Of(T value, long loadedAt)
        {
            var entry = new Entry();
            entry.Loaded(value, loadedAt);
            return entry;
        }

        public T Value { get; private set; } = default!;
        /// <summary>A <see cref="TimeProvider.GetTimestamp"/> value.</summary>
        public long LoadedAt { get; private set; }
        public bool IsLoaded => loaded;
        public Task<T>? Loading => Volatile.Read(ref loading)?.Task;

        public void Loaded(T value, long loadedAt)
        {
            Value = value;
            LoadedAt = loadedAt;
            loaded = true;
        }

        public void Answer(T value)
        {
            var completion = Interlocked.Exchange(ref loading, null);
            completion?.SetResult(value);
        }

        public void Fail(Exception ex)
        {
            var completion = Interlocked.Exchange(ref loading, null);
            completion?.SetException(ex);
        }

        public bool TryBeginRefresh() => Interlocked.CompareExchange(ref refreshing, 1, 0) == 0;

        public void EndRefresh() => Volatile.Write(ref refreshing, 0);
    }
}
