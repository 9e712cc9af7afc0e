using System.Net;
using System.Text.Json.Nodes;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>Plan limits: Free 5, Pro 50, Enterprise unlimited; a downgrade keeps what exists.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberPlanTests(ConvocoreSystem system)
{
    private ApiClient Operator => new(system.WebAddress, ConvocoreSystem.OperatorKey);

    [Fact]
    public async Task Free_allows_5_numbers_and_refuses_the_6th_naming_the_plan_and_its_limit()
    {
        var s = await NumberSetup.Create(system, "Free");
        var numbers = TestNumbers.Next(6);
        foreach (var number in numbers[..5]) await s.AddOk(number);

        var sixth = await s.Add(numbers[5]);

        Assert.Equal(HttpStatusCode.Forbidden, sixth.Status);
        Assert.Equal("application/problem+json", sixth.ContentType);
        Assert.Equal("Number limit reached: the Free plan allows 5 numbers", sixth.Detail);
        Assert.Equal(5, await s.NumberCount());
        Assert.Equal(numbers[..5], await s.ListedNumbers());
        Assert.Null(await system.Client.GetGrain<IPhoneNumberGrain>(numbers[5]).GetAssignment());
        var workspace = await s.Api.Get("/api/workspace");
        Assert.Equal(5, workspace.Body!["numberLimit"]!.GetValue<int>());
        Assert.Equal("Free", workspace.Body!["plan"]!.GetValue<string>());
    }

    [Fact]
    public async Task At_the_limit_a_number_that_is_configured_already_is_refused_as_existing_not_as_over_the_limit()
    {
        var s = await NumberSetup.Create(system, "Free");
        var elsewhere = await NumberSetup.Create(system, "Pro");
        var numbers = TestNumbers.Next(6);
        foreach (var number in numbers[..5]) await s.AddOk(number);
        await elsewhere.AddOk(numbers[5]);

        (await s.Add(numbers[0])).AssertProblem(HttpStatusCode.Conflict, "Phone number already exists");
        (await s.Add(numbers[5])).AssertProblem(HttpStatusCode.Conflict, "Phone number already exists");
        (await s.Add(TestNumbers.Next())).AssertProblem(HttpStatusCode.Forbidden, "Number limit reached: the Free plan allows 5 numbers");

        Assert.Equal(5, await s.NumberCount());
        Assert.Equal(numbers[..5], await s.ListedNumbers());
        Assert.Equal(elsewhere.Workspace.Id, (await system.Client.GetGrain<IPhoneNumberGrain>(numbers[5]).GetAssignment())!.WorkspaceId);
    }

    [Fact]
    public async Task A_freed_slot_on_Free_can_be_used_again()
    {
        var s = await NumberSetup.Create(system, "Free");
        var numbers = TestNumbers.Next(6);
        foreach (var number in numbers[..5]) await s.AddOk(number);

        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(numbers[0])}")).Status);
        await s.AddOk(numbers[5]);

        Assert.Equal(5, await s.NumberCount());
        Assert.Equal(numbers[1..], await s.ListedNumbers());
    }

    [Fact]
    public async Task A_downgrade_from_Pro_to_Free_keeps_all_7_numbers_routable_and_refuses_new_ones_saying_why()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var numbers = TestNumbers.Next(8);
        foreach (var number in numbers[..7]) await s.AddOk(number);
        Assert.Equal(50, (await s.Api.Get("/api/workspace")).Body!["numberLimit"]!.GetValue<int>());

        var downgrade = await Operator.Put($"/api/admin/workspaces/{s.Workspace.Id}/plan", new { plan = "Free" });
        Assert.Equal(HttpStatusCode.OK, downgrade.Status);

        var workspace = await s.Api.Get("/api/workspace");
        Assert.Equal("Free", workspace.Body!["plan"]!.GetValue<string>());
        Assert.Equal(5, workspace.Body!["numberLimit"]!.GetValue<int>());
        Assert.Equal(7, workspace.Body!["numberCount"]!.GetValue<int>());
        Assert.Equal(numbers[..7], await s.ListedNumbers());
        foreach (var number in numbers[..7])
        {
            var assignment = await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment();
            Assert.NotNull(assignment);
            Assert.Equal(s.Workspace.Id, assignment.WorkspaceId);
            Assert.Equal(s.AgentId, assignment.AgentId);
        }

        var refused = await s.Add(numbers[7]);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.Contains("7 numbers", refused.Detail);
        Assert.Contains("Free", refused.Detail);
        Assert.Contains("5", refused.Detail);
        Assert.Equal(7, await s.NumberCount());
        Assert.Null(await system.Client.GetGrain<IPhoneNumberGrain>(numbers[7]).GetAssignment());
    }

    [Fact]
    public async Task Existing_numbers_can_still_be_reassigned_and_deleted_after_a_downgrade()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var numbers = TestNumbers.Next(7);
        foreach (var number in numbers) await s.AddOk(number);
        Assert.Equal(HttpStatusCode.OK, (await Operator.Put($"/api/admin/workspaces/{s.Workspace.Id}/plan", new { plan = "Free" })).Status);
        var other = await s.Workspace.CreateAgent("Night shift");

        var reassigned = await s.Api.Patch($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(numbers[0])}", new { agentId = other });
        var deleted = await s.Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(numbers[1])}");

        Assert.Equal(HttpStatusCode.OK, reassigned.Status);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(6, await s.NumberCount());
        // Still above the Free limit: no new number until there are fewer than 5.
        Assert.Equal(HttpStatusCode.Forbidden, (await s.Add(numbers[1])).Status);
    }

    [Fact]
    public async Task Enterprise_shows_no_limit_and_accepts_more_than_50_numbers()
    {
        var s = await NumberSetup.Create(system, "Enterprise");
        var workspace = await s.Api.Get("/api/workspace");
        Assert.True(workspace.Body!.AsObject().TryGetPropertyValue("numberLimit", out var limit), workspace.ToString());
        Assert.Null(limit);

        var numbers = TestNumbers.Next(60);
        var responses = await Task.WhenAll(numbers.Select(n => s.Add(n)));

        Assert.All(responses, r => Assert.True(r.Status == HttpStatusCode.Created, r.ToString()));
        Assert.Equal(60, await s.NumberCount());
        Assert.Equal(numbers, await s.ListedNumbers());
        Assert.Equal(60, await s.AgentNumberCount(s.AgentId));
    }
}

/// <summary>Real parallel requests: the quota and uniqueness hold under contention.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberConcurrencyTests(ConvocoreSystem system)
{
    [Fact]
    public async Task Thirty_parallel_adds_into_a_Free_workspace_give_exactly_5_numbers()
    {
        var s = await NumberSetup.Create(system, "Free");
        var numbers = TestNumbers.Next(30);

        var responses = await Task.WhenAll(numbers.Select(n => Task.Run(() => s.Add(n))));

        var created = responses.Where(r => r.Status == HttpStatusCode.Created).ToArray();
        var refused = responses.Where(r => r.Status != HttpStatusCode.Created).ToArray();
        Assert.Equal(5, created.Length);
        Assert.Equal(25, refused.Length);
        Assert.All(refused, r => r.AssertProblem(HttpStatusCode.Forbidden, "Number limit reached: the Free plan allows 5 numbers"));
        Assert.Equal(5, await s.NumberCount());
        var createdNumbers = created.Select(r => r.Body!["phoneNumber"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(createdNumbers, await s.ListedNumbers());
        Assert.Equal(5, await s.AgentNumberCount(s.AgentId));
        var assigned = await Task.WhenAll(numbers.Select(n => system.Client.GetGrain<IPhoneNumberGrain>(n).GetAssignment()));
        Assert.Equal(5, assigned.Count(a => a is not null));
    }

    [Fact]
    public async Task The_same_number_added_from_8_workspaces_at_once_is_created_exactly_once()
    {
        var setups = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => NumberSetup.Create(system)));
        var number = TestNumbers.Next();

        var responses = await Task.WhenAll(setups.Select(s => Task.Run(() => s.Add(number))));

        Assert.Single(responses, r => r.Status == HttpStatusCode.Created);
        var losers = responses.Where(r => r.Status != HttpStatusCode.Created).ToArray();
        Assert.Equal(7, losers.Length);
        Assert.All(losers, r => r.AssertProblem(HttpStatusCode.Conflict, "Phone number already exists"));

        var winner = setups[Array.FindIndex(responses, r => r.Status == HttpStatusCode.Created)];
        var assignment = await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment();
        Assert.NotNull(assignment);
        Assert.Equal(winner.Workspace.Id, assignment.WorkspaceId);
        foreach (var s in setups)
        {
            var mine = s == winner;
            Assert.Equal(mine ? 1 : 0, await s.NumberCount());
            Assert.Equal(mine ? [number] : [], await s.ListedNumbers());
        }
    }
}
