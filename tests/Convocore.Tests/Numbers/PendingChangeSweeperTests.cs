using Convocore.Contracts.Common;
using Convocore.Tests.Infrastructure;
using StackExchange.Redis;

namespace Convocore.Tests.Numbers;

/// <summary>The sweeper over many workspaces, one of which cannot be reconciled.</summary>
[Collection(SystemCollection.Name)]
public sealed class PendingChangeSweeperTests(ConvocoreSystem system)
{
    private const string PendingWorkspaces = "convocore:pending-workspaces";

    [Fact]
    public async Task Workspaces_whose_stored_state_is_corrupt_do_not_keep_the_sweeper_from_reconciling_the_others()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(system.Redis.ConnectionString);
        var db = redis.GetDatabase();
        // Where Orleans keeps a workspace's state, learnt from a real one.
        var real = await ApiClient.CreateWorkspace(system.WebAddress);
        var realKey = (string)redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: $"*/state/*workspace/{real.Id}*").Single()!;

        // Never activated, so their grains will read what is stored: not something Orleans wrote.
        var corrupt = Enumerable.Range(0, 5).Select(_ => Ids.New()).ToArray();
        foreach (var id in corrupt)
        {
            await db.HashSetAsync(realKey.Replace(real.Id, id), [new("etag", "corrupt"), new("data", "{ not a workspace")]);
            await db.SetAddAsync(PendingWorkspaces, id);
        }
        try
        {
            // Each number change marks its workspace as having one in flight; only a sweep unmarks it.
            var healthy = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                var setup = await NumberSetup.Create(system);
                await setup.AddOk(TestNumbers.Next());
                healthy.Add(setup.Workspace.Id);
            }

            await Eventually.True(async () =>
            {
                foreach (var id in healthy)
                    if (await db.SetContainsAsync(PendingWorkspaces, id)) return false;
                return true;
            }, "every healthy workspace is reconciled and unmarked", 30);
            foreach (var id in corrupt) Assert.True(await db.SetContainsAsync(PendingWorkspaces, id), "a workspace that failed stays marked, to be tried again");
        }
        finally
        {
            foreach (var id in corrupt)
            {
                await db.SetRemoveAsync(PendingWorkspaces, id);
                await db.KeyDeleteAsync(realKey.Replace(real.Id, id));
            }
        }
    }
}
