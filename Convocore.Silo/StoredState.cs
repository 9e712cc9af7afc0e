using Orleans.Storage;

namespace Convocore.Silo;

/// <summary>Reading a grain's stored state without activating the grain: what its last write left, or null.</summary>
internal static class StoredState
{
    /// <summary>The grain storage every grain of ours uses.</summary>
    public const string Storage = "Default";

    public static async Task<TState?> Read<TState>(this IGrainStorage storage, string stateName, GrainId grain) where TState : class, new()
    {
        var stored = new GrainState<TState>();
        await storage.ReadStateAsync(stateName, grain, stored);
        return stored.RecordExists ? stored.State : null;
    }
}
