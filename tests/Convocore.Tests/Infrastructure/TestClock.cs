using System.Collections.Concurrent;

namespace Convocore.Tests.Infrastructure;

/// <summary>
/// A clock a test can stop at a chosen time or move ahead of the real one; it runs with the real clock otherwise.
/// Silos are built from types, not instances, so a system names its clock in the silo configuration and the silo
/// finds it here.
/// </summary>
public sealed class TestClock : TimeProvider
{
    /// <summary>The silo setting naming the clock that retention reads "now" from.</summary>
    public const string RetentionSetting = "Tests:RetentionClock";

    private static readonly ConcurrentDictionary<string, TestClock> Clocks = new();
    private readonly object sync = new();
    private DateTimeOffset? stopped;
    private TimeSpan offset;

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public TestClock() => Clocks[Id] = this;

    public static TestClock? Find(string? id) => id is not null && Clocks.TryGetValue(id, out var clock) ? clock : null;

    public override DateTimeOffset GetUtcNow()
    {
        lock (sync) return stopped ?? System.GetUtcNow() + offset;
    }

    /// <summary>Stops the clock at <paramref name="time"/> until <see cref="Run"/>.</summary>
    public void Set(DateTimeOffset time)
    {
        lock (sync) stopped = time;
    }

    /// <summary>Runs with the real clock, <paramref name="ahead"/> in front of it.</summary>
    public void Run(TimeSpan ahead = default)
    {
        lock (sync)
        {
            stopped = null;
            offset = ahead;
        }
    }
}
