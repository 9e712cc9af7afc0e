using System.Collections.Concurrent;

namespace Convocore.Silo.Routing;

/// <summary>
/// A key → value map filled on demand by an asynchronous load, for the routing table. A hit is a dictionary read.
/// Concurrent misses of one key share one load. <see cref="Forget"/> removes the entry whether it is loaded or still
/// loading, and a load never inserts anything itself (its entry is put in place before it starts): so a load that
/// raced a change can answer the calls that were already waiting for it, but is never kept for the calls after.
/// </summary>
internal sealed class CachedLookup<T>(TimeSpan lifetime, Func<string, Task<T>> load, Func<T, bool>? keep = null)
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly long lifetimeMs = (long)lifetime.TotalMilliseconds;
    private readonly Func<string, Task<T>> load = load;
    private readonly Func<T, bool>? keep = keep;

    public int Count => entries.Count;

    public ValueTask<T> Get(string key)
    {
        if (entries.TryGetValue(key, out var entry) && entry.IsLoaded && Environment.TickCount64 - entry.LoadedAt < lifetimeMs)
            return new ValueTask<T>(entry.Value);
        return new ValueTask<T>(Load(key));
    }

    public void Forget(string key) => entries.TryRemove(key, out _);

    private Task<T> Load(string key)
    {
        var fresh = new Entry();
        while (true)
        {
            if (entries.TryGetValue(key, out var existing))
            {
                if (existing.Loading is { } loading) return loading;
                if (existing.IsLoaded && Environment.TickCount64 - existing.LoadedAt < lifetimeMs) return Task.FromResult(existing.Value);
                if (entries.TryUpdate(key, fresh, existing)) break;
            }
            else if (entries.TryAdd(key, fresh))
            {
                break;
            }
        }
        return fresh.Start(key, this);
    }

    private sealed class Entry
    {
        private TaskCompletionSource<T>? loading = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool loaded;

        public T Value { get; private set; } = default!;
        public long LoadedAt { get; private set; }
        public bool IsLoaded => loaded;
        public Task<T>? Loading => Volatile.Read(ref loading)?.Task;

        public Task<T> Start(string key, CachedLookup<T> owner)
        {
            var completion = loading!;
            _ = Run(key, owner, completion);
            return completion.Task;
        }

        private async Task Run(string key, CachedLookup<T> owner, TaskCompletionSource<T> completion)
        {
            try
            {
                var value = await owner.load(key);
                Value = value;
                LoadedAt = Environment.TickCount64;
                loaded = true;
                if (owner.keep is { } shouldKeep && !shouldKeep(value)) owner.entries.TryRemove(KeyValuePair.Create(key, this));
                Volatile.Write(ref loading, null);
                completion.SetResult(value);
            }
            catch (Exception ex)
            {
                owner.entries.TryRemove(KeyValuePair.Create(key, this));
                Volatile.Write(ref loading, null);
                completion.SetException(ex);
            }
        }
    }
}
