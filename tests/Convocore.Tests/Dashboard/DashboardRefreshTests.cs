using System.Collections.Concurrent;
using System.Net;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>
/// A live change re-reads only what it names: a number change its trunk's list and the counts, never the call figures
/// or another trunk's list; an agent change the agents alone, and the numbers show the agent's new title anyway.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardRefreshTests(DashboardSystem system)
{
    [Fact]
    public async Task A_number_added_elsewhere_makes_the_page_read_its_trunk_and_the_counts_but_not_the_call_figures_or_the_other_trunks_numbers()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        var other = await s.Workspace.CreateTrunk("Telnyx");
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(other, TestNumbers.Next(), s.AgentId)).Status);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");
        await dashboard.Expand("Telnyx");
        var reads = Watch(dashboard.Page);

        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, number, s.AgentId)).Status);
        await Expect(dashboard.NumberRow(number)).ToBeVisibleAsync();
        await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "1 number");
        await Expect(dashboard.Usage).ToHaveTextAsync("2 of 50 numbers · Pro plan");
        await Task.Delay(500); // a read that would follow late

        var seen = reads.ToArray();
        Assert.Contains($"/api/trunks/{s.TrunkId}/numbers", seen);
        Assert.Contains("/api/workspace", seen);
        Assert.DoesNotContain($"/api/trunks/{other}/numbers", seen);
        Assert.DoesNotContain("/api/analytics", seen);
    }

    [Fact]
    public async Task A_renamed_agent_shows_its_new_title_on_its_numbers_without_the_number_lists_being_read_again()
    {
        var s = await DashboardSetup.Create(system);
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, number, s.AgentId)).Status);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");
        await Expect(dashboard.NumberRow(number).Locator(".agent-title")).ToHaveTextAsync("Receptionist");
        var reads = Watch(dashboard.Page);

        var renamed = await s.Workspace.Api.Put($"/api/agents/{s.AgentId}", new
        {
            title = "Front desk",
            voiceEnabled = true,
            voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" },
        });
        Assert.Equal(HttpStatusCode.OK, renamed.Status);

        await Expect(dashboard.NumberRow(number).Locator(".agent-title")).ToHaveTextAsync("Front desk");
        await Task.Delay(500);
        var seen = reads.ToArray();
        Assert.Contains("/api/agents", seen);
        Assert.DoesNotContain(seen, path => path.Contains("/numbers", StringComparison.Ordinal) || path == "/api/analytics");
    }

    /// <summary>The paths (without query) of the API reads the page makes from now on.</summary>
    private static ConcurrentQueue<string> Watch(IPage page)
    {
        var reads = new ConcurrentQueue<string>();
        page.Request += (_, request) =>
        {
            if (request.Method != "GET") return;
            var path = new Uri(request.Url).AbsolutePath;
            if (path.StartsWith("/api/", StringComparison.Ordinal)) reads.Enqueue(path);
        };
        return reads;
    }
}
