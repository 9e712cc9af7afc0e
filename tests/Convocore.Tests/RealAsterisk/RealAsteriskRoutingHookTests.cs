using System.Net;
using System.Text.Json.Nodes;
using Convocore.Tests.Numbers;
using Convocore.Tests.RoutingHook;
using Xunit.Abstractions;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// The routing hook on the real Asterisk: a number with <c>routingHook: true</c> asks the workspace's hook (a real Kestrel
/// server on loopback) per call. The agent it names takes the call in [convocore-agent] with the hook's variables on the
/// channel; a reject answer reaches the caller as its SIP cause.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class RealAsteriskRoutingHookTests(AsteriskFixture asterisk, RealAsteriskRoutingHookTests.HookSystem system, ITestOutputHelper output)
    : IClassFixture<RealAsteriskRoutingHookTests.HookSystem>, IAsyncLifetime
{
    /// <summary>The real-Asterisk system with outbound requests allowed to loopback over http, for the test's hook.</summary>
    public sealed class HookSystem : RealAsteriskSystem
    {
        protected override IEnumerable<KeyValuePair<string, string?>> SiloSettings => base.SiloSettings.Concat(new Dictionary<string, string?>
        {
            ["Convocore:Outbound:AllowPrivateTargets"] = "true",
            ["Convocore:Outbound:AllowHttp"] = "true",
        });
    }

    private HookServer hook = null!;

    public async Task InitializeAsync()
    {
        hook = await HookServer.StartAsync();
        if (asterisk.IsRunning) await asterisk.SetGlobalAsync("AGENT_WAIT", "3");
    }

    public async Task DisposeAsync()
    {
        await hook.DisposeAsync();
        if (!asterisk.IsRunning) return;
        await asterisk.SetGlobalAsync("AGENT_WAIT", "1");
        try
        {
            foreach (var id in await asterisk.GetChannelIdsAsync())
            {
                using var _ = await asterisk.Ari.DeleteAsync($"channels/{id}");
            }
        }
        catch (HttpRequestException ex)
        {
            output.WriteLine("cleanup: " + ex.Message);
        }
    }

    private async Task<(NumberSetup Setup, string Number)> HookedNumber()
    {
        asterisk.SkipIfUnavailable();
        output.WriteLine("system up: " + await system.StartAsync(asterisk));
        var setup = await NumberSetup.Create(system, "Pro");
        var set = await setup.Api.Put("/api/workspace/routing-hook", new { url = hook.Url, timeoutMs = 1500 });
        Assert.True(set.Status == HttpStatusCode.OK, set.ToString());
        var number = TestNumbers.Next();
        var added = await setup.Api.Post($"/api/trunks/{setup.TrunkId}/numbers", new { phoneNumber = number, agentId = setup.AgentId, routingHook = true });
        Assert.True(added.Status == HttpStatusCode.Created, added.ToString());
        return (setup, number);
    }

    [SkippableFact]
    public async Task The_agent_the_hook_names_takes_the_call_with_the_hooks_variables_on_the_channel()
    {
        var (setup, number) = await HookedNumber();
        var chosen = await setup.Workspace.CreateAgent("Chosen by the hook");
        hook.Answers[number] = () => Task.FromResult((200, $$$"""{"agentId":"{{{chosen}}}","variables":{"CUSTOMER_TIER":"gold"}}"""));

        var calling = asterisk.CreateSipp().CallAsync(number, hold: TimeSpan.FromSeconds(5));
        // While the stub agent holds the call (AGENT_WAIT), the hook's variable is on the caller's channel.
        string? tier = null;
        for (var tries = 0; tries < 40 && tier is null; tries++)
        {
            await Task.Delay(100);
            foreach (var id in await asterisk.GetChannelIdsAsync())
            {
                using var answer = await asterisk.Ari.GetAsync($"channels/{id}/variable?variable=CUSTOMER_TIER");
                if (answer.IsSuccessStatusCode && JsonNode.Parse(await answer.Content.ReadAsStringAsync())?["value"]?.GetValue<string>() is { Length: > 0 } value)
                    tier = value;
            }
        }
        var result = await calling;

        output.WriteLine(result.ToString());
        Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);
        Assert.Equal("gold", tier);
        Assert.Equal(chosen, await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
        Assert.Equal(chosen, await asterisk.GetGlobalAsync("LAST_AGENT_VAR"));
        var request = Assert.Single(hook.For(number));
        Assert.Equal(setup.AgentId, request.Body["agentId"]!.GetValue<string>());
    }

    [SkippableTheory]
    [InlineData("busy", 486)]
    [InlineData("rejected", 403)]
    public async Task A_reject_answer_reaches_the_caller_as_its_SIP_cause(string reject, int sipStatus)
    {
        var (_, number) = await HookedNumber();
        hook.Answers[number] = () => Task.FromResult((200, $$$"""{"reject":"{{{reject}}}"}"""));

        var result = await asterisk.CreateSipp().CallAsync(number, hold: TimeSpan.FromSeconds(1));

        output.WriteLine(result.ToString());
        Assert.Equal(sipStatus, Assert.Single(result.Calls).FinalStatus);
        Assert.Single(hook.For(number));
    }
}
