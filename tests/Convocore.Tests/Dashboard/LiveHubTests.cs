using System.Threading.Channels;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.AspNetCore.SignalR.Client;

namespace Convocore.Tests.Dashboard;

/// <summary>The live hub without a browser: who gets which change, through either web replica.</summary>
[Collection(DashboardCollection.Name)]
public sealed class LiveHubTests(DashboardSystem system)
{
    [Fact]
    public async Task Each_replica_pushes_a_change_only_to_its_own_workspace_within_a_second()
    {
        var s = await DashboardSetup.Create(system);
        var other = await DashboardSetup.Create(system);
        var secondWeb = await system.SecondWebAddress();
        await using var onFirst = await Listen(system.WebAddress, s.Workspace.ApiKey);
        await using var onSecond = await Listen(secondWeb, s.Workspace.ApiKey);
        await using var stranger = await Listen(secondWeb, other.Workspace.ApiKey);

        var number = TestNumbers.Next();
        await s.Add(number);

        foreach (var listener in new[] { onFirst, onSecond })
        {
            var change = await listener.Next(TimeSpan.FromSeconds(1));
            Assert.Equal(s.Workspace.Id, change.WorkspaceId);
            Assert.Equal("Numbers", change.Kind);
            Assert.Equal(s.TrunkId, change.TrunkId);
            Assert.Equal(number, change.PhoneNumber);
        }
        await Task.Delay(300);
        Assert.False(stranger.Changes.Reader.TryRead(out var leaked), $"another workspace was told: {leaked}");
    }

    private static async Task<Listener> Listen(Uri web, string apiKey)
    {
        var listener = new Listener(new HubConnectionBuilder()
            .WithUrl(new Uri(web, "/hubs/live"), o => o.Headers["Authorization"] = "Bearer " + apiKey)
            .Build());
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Connection.On("subscribed", () => subscribed.TrySetResult());
        listener.Connection.On<Change>("workspaceChanged", change => listener.Changes.Writer.TryWrite(change));
        await listener.Connection.StartAsync();
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return listener;
    }

    private sealed record Change(string WorkspaceId, string Kind, string? TrunkId, string? PhoneNumber);

    private sealed class Listener(HubConnection connection) : IAsyncDisposable
    {
        public HubConnection Connection { get; } = connection;
        public Channel<Change> Changes { get; } = Channel.CreateUnbounded<Change>();

        public async Task<Change> Next(TimeSpan within) => await Changes.Reader.ReadAsync().AsTask().WaitAsync(within);

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
