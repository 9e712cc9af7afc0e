using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Convocore.AriSimulator;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using static Convocore.Tests.Analytics.AnalyticsApi;

namespace Convocore.Tests.Analytics;

/// <summary>
/// Calls placed through the two simulated Asterisk servers, with Asterisk's clock stopped at known times so every
/// start and duration is known to the millisecond; the API's figures are compared with ones computed here.
/// </summary>
[Collection(AnalyticsCollection.Name)]
public sealed class AnalyticsTests(AnalyticsSystem system)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>A call the number's agent takes at <paramref name="at"/>, that the caller ends <paramref name="duration"/> later.</summary>
    private async Task<SimulatedCall> Talk(AriSimulator.AriSimulator asterisk, string number, DateTimeOffset at, TimeSpan duration, string caller = "+442071230000")
    {
        system.AsteriskClock.Set(at);
        var call = asterisk.PlaceCall(number, caller);
        var outcome = await call.Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        system.AsteriskClock.Set(at + duration);
        Assert.True(asterisk.EndCall(call.ChannelId));
        return call;
    }

    private async Task<SimulatedCall> Refused(AriSimulator.AriSimulator asterisk, string dialed, DateTimeOffset at, string hangupReason, string caller = "+442071230000")
    {
        system.AsteriskClock.Set(at);
        var call = asterisk.PlaceCall(dialed, caller);
        var outcome = await call.Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal(hangupReason, outcome.HangupReason);
        return call;
    }

    private static Task WaitForCalls(ApiClient api, string path, int count) =>
        Eventually.True(async () => ExpectedFigures.Int(await api.GetOk(path), "totalCalls") == count, $"{count} calls in {path}", 30);

    [Fact]
    public async Task Every_figure_of_a_number_and_of_its_workspace_is_exact_for_calls_placed_through_Asterisk()
    {
        var setup = await NumberSetup.Create(system, "Pro");
        var ws = setup.Workspace;
        var euTrunk = await ws.CreateTrunk("Sipgate", "EU");
        var sales = await ws.CreateAgent("Sales");
        var naNumber = TestNumbers.Next();
        var euNumber = TestNumbers.Next();
        var idleAgentNumber = TestNumbers.Next();
        var inactiveTrunkNumber = TestNumbers.Next();
        await setup.AddOk(naNumber);
        Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(euTrunk, euNumber, sales)).Status);
        var idle = await ws.CreateAgent("Idle");
        await setup.AddOk(idleAgentNumber, idle);
        var offTrunk = await ws.CreateTrunk("Old provider");
        Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(offTrunk, inactiveTrunkNumber, setup.AgentId)).Status);
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Put($"/api/agents/{idle}", new { title = "Idle", voiceEnabled = false, voice = (object?)null })).Status);
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Put($"/api/trunks/{offTrunk}", new { name = "Old provider", region = "NA", active = false, defaultCountry = (string?)null })).Status);

        var monday = MondayWeeksAgo(2);
        var planned = new List<PlannedCall>();
        // 24 conversations over the week at different hours, with durations to the millisecond.
        for (var i = 0; i < 24; i++)
        {
            var at = monday.AddDays(i % 7).AddHours(i * 5 % 24).AddMinutes(i * 7 % 60).AddMilliseconds(i * 37);
            var duration = TimeSpan.FromMilliseconds(1000 + i * 7919 % 180_000);
            var eu = i % 3 == 0;
            await Talk(eu ? system.Eu : system.Na, eu ? euNumber : naNumber, at, duration);
            planned.Add(new PlannedCall(at, eu ? euNumber : naNumber, null, eu ? "EU" : "NA", duration.TotalSeconds));
        }
        // Sunday 23:59:59.750 to Monday: counted where it started.
        var lateSunday = monday.AddDays(7).AddMilliseconds(-250);
        await Talk(system.Na, naNumber, lateSunday, TimeSpan.FromSeconds(95.5));
        planned.Add(new PlannedCall(lateSunday, naNumber, null, "NA", 95.5));
        var failures = new (string Number, DateTimeOffset At, string HangupReason, string Reason)[]
        {
            (idleAgentNumber, monday.AddHours(10), "normal_unspecified", "agent_unavailable"),
            (idleAgentNumber, monday.AddDays(2).AddHours(10), "normal_unspecified", "agent_unavailable"),
            (inactiveTrunkNumber, monday.AddDays(3).AddHours(11), "rejected", "trunk_inactive"),
        };
        foreach (var (number, at, hangup, reason) in failures)
        {
            await Refused(system.Na, number, at, hangup);
            planned.Add(new PlannedCall(at, number, reason, "NA", null));
        }
        // A command that fails on our side: internal, still the workspace's call.
        system.Na.FailNextCommands(1);
        var internalAt = monday.AddDays(4).AddHours(12);
        await Refused(system.Na, naNumber, internalAt, "congestion");
        planned.Add(new PlannedCall(internalAt, naNumber, "internal", "NA", null));
        // A call to no number of this workspace: not in its figures.
        await Refused(system.Na, TestNumbers.Next(), monday.AddDays(1).AddHours(9), "unallocated");
        system.AsteriskClock.Run();

        var from = monday;
        var to = monday.AddDays(7);
        var range = $"from={Time(from)}&to={Time(to)}";
        await WaitForCalls(ws.Api, $"/api/analytics?{range}", planned.Count);

        var workspace = await ws.Api.GetOk($"/api/analytics?{range}");
        Assert.Equal(ws.Id, workspace["workspaceId"]!.GetValue<string>());
        ExpectedFigures.AssertMatches(workspace, planned, from, to);
        ExpectedFigures.AssertVolumes(workspace, planned, from, to);

        foreach (var number in new[] { naNumber, euNumber, idleAgentNumber, inactiveTrunkNumber })
        {
            var figures = await ws.Api.GetOk($"/api/numbers/{TestNumbers.Escaped(number)}/analytics?{range}");
            Assert.Equal(number, figures["phoneNumber"]!.GetValue<string>());
            ExpectedFigures.AssertMatches(figures, planned.Where(c => c.Number == number).ToList(), from, to);
            Assert.Null(figures["byNumber"]);
        }

        // A range that starts and ends inside hours: only the calls that started in it, hours and days cut to it.
        var partFrom = monday.AddDays(1).AddHours(2).AddMinutes(30);
        var partTo = monday.AddDays(5).AddHours(13).AddMinutes(15);
        var part = await ws.Api.GetOk($"/api/analytics?from={Time(partFrom)}&to={Time(partTo)}");
        ExpectedFigures.AssertMatches(part, planned, partFrom, partTo);
        var naPart = await ws.Api.GetOk($"/api/numbers/%2B{naNumber[1..]}/analytics?from={Time(partFrom)}&to={Time(partTo)}");
        ExpectedFigures.AssertMatches(naPart, planned.Where(c => c.Number == naNumber).ToList(), partFrom, partTo);

        // The call log of the same calls: newest first, every column.
        var rows = await ws.Api.AllCalls(range, 7);
        Assert.Equal(planned.OrderByDescending(c => c.StartedAt).Select(c => c.StartedAt),
            rows.Select(r => DateTimeOffset.Parse(r["startedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture)));
        var latest = rows[0];
        Assert.Equal("+442071230000", latest["caller"]!.GetValue<string>());
        Assert.Equal(naNumber, latest["phoneNumber"]!.GetValue<string>());
        Assert.Equal(naNumber, latest["dialed"]!.GetValue<string>());
        Assert.Equal(setup.AgentId, latest["agentId"]!.GetValue<string>());
        Assert.Equal("NA", latest["region"]!.GetValue<string>());
        Assert.Equal("routed", latest["outcome"]!.GetValue<string>());
        Assert.Null(latest["reason"]);
        Assert.Equal(95.5, latest["durationSeconds"]!.GetValue<double>());
        var trunkRow = rows.Single(r => r["phoneNumber"]!.GetValue<string>() == inactiveTrunkNumber);
        Assert.Equal("failed", trunkRow["outcome"]!.GetValue<string>());
        Assert.Equal("trunk_inactive", trunkRow["reason"]!.GetValue<string>());
        Assert.InRange(trunkRow["durationSeconds"]!.GetValue<double>(), 0, 5);

        // Filters, alone and together.
        var euRows = await ws.Api.AllCalls($"{range}&phoneNumber={TestNumbers.Escaped(euNumber)}", 3);
        Assert.Equal(planned.Count(c => c.Number == euNumber), euRows.Count);
        Assert.All(euRows, r => Assert.Equal(sales, r["agentId"]!.GetValue<string>()));
        var salesRows = await ws.Api.AllCalls($"{range}&agentId={sales}", 100);
        Assert.Equal(euRows.Select(r => r["channelId"]!.ToString()), salesRows.Select(r => r["channelId"]!.ToString()));
        var failedRows = await ws.Api.AllCalls($"{range}&outcome=failed", 2);
        Assert.Equal(planned.Where(c => !c.Routed).OrderByDescending(c => c.StartedAt).Select(c => c.Reason),
            failedRows.Select(r => r["reason"]!.GetValue<string>()));
        var routedNa = await ws.Api.AllCalls($"{range}&outcome=routed&phoneNumber={TestNumbers.Escaped(naNumber)}&agentId={setup.AgentId}", 5);
        Assert.Equal(planned.Count(c => c.Routed && c.Number == naNumber), routedNa.Count);
        var window = await ws.Api.AllCalls($"from={Time(partFrom)}&to={Time(partTo)}", 50);
        Assert.Equal(planned.Count(c => c.StartedAt >= partFrom && c.StartedAt < partTo), window.Count);
    }

    [Fact]
    public async Task Calls_to_numbers_of_no_workspace_are_counted_in_the_operator_view_only()
    {
        var setup = await NumberSetup.Create(system);
        var owned = TestNumbers.Next();
        await setup.AddOk(owned);
        var misrouted = TestNumbers.Next();
        var other = TestNumbers.Next();
        var monday = MondayWeeksAgo(3);
        var planned = new List<PlannedCall>();
        for (var i = 0; i < 5; i++)
        {
            var at = monday.AddDays(2).AddHours(8 + i);
            await Refused(i % 2 == 0 ? system.Na : system.Eu, i < 3 ? misrouted[1..] : other, at, "unallocated");
            planned.Add(new PlannedCall(at, i < 3 ? misrouted : other, "unallocated", i % 2 == 0 ? "NA" : "EU", null));
        }
        // Not a number at all: listed as dialed.
        await Refused(system.Na, "abc", monday.AddDays(3), "unallocated");
        planned.Add(new PlannedCall(monday.AddDays(3), "abc", "unallocated", "NA", null));
        await Talk(system.Na, owned, monday.AddDays(2).AddHours(9), TimeSpan.FromSeconds(3));
        system.AsteriskClock.Run();

        var from = monday;
        var to = monday.AddDays(7);
        var op = new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey);
        var path = $"/api/operator/unowned-calls?from={Time(from)}&to={Time(to)}";
        await WaitForCalls(op, path, planned.Count);
        var unowned = await op.GetOk(path);
        ExpectedFigures.AssertVolumes(unowned, planned, from, to);
        Assert.Equal(planned.Count, ExpectedFigures.Int(unowned, "totalCalls"));
        Assert.Equal(planned.Count, unowned["failureReasons"]!["unallocated"]!.GetValue<int>());
        Assert.Equal(4, unowned["byRegion"]!["NA"]!.GetValue<int>());
        Assert.Equal(2, unowned["byRegion"]!["EU"]!.GetValue<int>());

        await WaitForCalls(setup.Api, $"/api/analytics?from={Time(from)}&to={Time(to)}", 1);
        var mine = await setup.Api.GetOk($"/api/analytics?from={Time(from)}&to={Time(to)}");
        Assert.Equal(0, ExpectedFigures.Int(mine, "failedCalls"));

        Assert.Equal(HttpStatusCode.Forbidden, (await setup.Api.Get(path)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new ApiClient(system.WebAddress, "nope").Get(path)).Status);
    }

    [Fact]
    public async Task Another_workspaces_number_answers_like_a_missing_one_and_its_calls_stay_out()
    {
        var a = await NumberSetup.Create(system);
        var b = await NumberSetup.Create(system);
        var numberOfA = TestNumbers.Next();
        await a.AddOk(numberOfA);
        var monday = MondayWeeksAgo(4);
        await Talk(system.Na, numberOfA, monday.AddHours(9), TimeSpan.FromSeconds(12));
        system.AsteriskClock.Run();
        var range = $"from={Time(monday)}&to={Time(monday.AddDays(7))}";
        await WaitForCalls(a.Api, $"/api/numbers/{TestNumbers.Escaped(numberOfA)}/analytics?{range}", 1);

        var foreign = await b.Api.Get($"/api/numbers/{TestNumbers.Escaped(numberOfA)}/analytics?{range}");
        var unknown = await b.Api.Get($"/api/numbers/{TestNumbers.Escaped(TestNumbers.Next())}/analytics?{range}");
        foreign.AssertProblem(HttpStatusCode.NotFound, NumberRules.NumberNotFound);
        Assert.Equal(unknown.WithoutTraceId(), foreign.WithoutTraceId());

        Assert.Equal(0, ExpectedFigures.Int(await b.Api.GetOk($"/api/analytics?{range}"), "totalCalls"));
        Assert.Empty((await b.Api.GetOk($"/api/calls?{range}"))["items"]!.AsArray());
        Assert.Empty((await b.Api.GetOk($"/api/calls?{range}&phoneNumber={TestNumbers.Escaped(numberOfA)}"))["items"]!.AsArray());
        Assert.Single((await a.Api.GetOk($"/api/calls?{range}"))["items"]!.AsArray());
        // The number written with a literal '+' in the path is the same number.
        Assert.Equal(1, ExpectedFigures.Int(await a.Api.GetOk($"/api/numbers/{numberOfA}/analytics?{range}"), "totalCalls"));

        // After a deletes the number its history stays a's; a number with neither calls nor an owner is missing.
        Assert.Equal(HttpStatusCode.NoContent, (await a.Api.Delete($"/api/trunks/{a.TrunkId}/numbers/{TestNumbers.Escaped(numberOfA)}")).Status);
        Assert.Equal(1, ExpectedFigures.Int(await a.Api.GetOk($"/api/numbers/{TestNumbers.Escaped(numberOfA)}/analytics?{range}"), "totalCalls"));
        (await b.Api.Get($"/api/numbers/{TestNumbers.Escaped(numberOfA)}/analytics?{range}")).AssertProblem(HttpStatusCode.NotFound, NumberRules.NumberNotFound);
        // A number that is a's now but had no calls yet: its figures are zero, not missing.
        var fresh = TestNumbers.Next();
        await a.AddOk(fresh);
        var none = await a.Api.GetOk($"/api/numbers/{TestNumbers.Escaped(fresh)}/analytics?{range}");
        Assert.Equal(0, ExpectedFigures.Int(none, "totalCalls"));
        Assert.Equal(24, none["callsByHourOfDay"]!.AsArray().Count);
        Assert.Equal(7, none["callsByDayOfWeek"]!.AsArray().Count);
    }

    [Fact]
    public async Task Query_parameters_are_checked_with_a_clear_problem()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var api = setup.Api;
        var escaped = TestNumbers.Escaped(number);

        foreach (var path in new[] { "/api/analytics", $"/api/numbers/{escaped}/analytics", "/api/calls" })
        {
            var sep = path.Contains('?') ? '&' : '?';
            (await api.Get($"{path}{sep}from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z")).AssertProblem(HttpStatusCode.BadRequest, "from must be before to");
            (await api.Get($"{path}{sep}from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z")).AssertProblem(HttpStatusCode.BadRequest, "from must be before to");
            (await api.Get($"{path}{sep}from=yesterday")).AssertProblem(HttpStatusCode.BadRequest, "from must be an ISO 8601 date and time, e.g. 2026-11-01T00:00:00Z");
            (await api.Get($"{path}{sep}to=soon")).AssertProblem(HttpStatusCode.BadRequest, "to must be an ISO 8601 date and time, e.g. 2026-11-02T00:00:00Z");
            (await api.Get($"{path}{sep}from=2024-01-01&to=2026-01-01")).AssertProblem(HttpStatusCode.BadRequest, "The time range may span at most 366 days");
        }
        (await api.Get("/api/calls?outcome=maybe")).AssertProblem(HttpStatusCode.BadRequest, "outcome must be routed, failed or fallback");
        (await api.Get("/api/calls?cursor=%21%21%21")).AssertProblem(HttpStatusCode.BadRequest, "cursor is not a cursor this call log gave out");
        (await api.Get("/api/calls?cursor=aGVsbG8")).AssertProblem(HttpStatusCode.BadRequest, "cursor is not a cursor this call log gave out");
        (await api.Get("/api/calls?agentId=Not-An-Id")).AssertProblem(HttpStatusCode.BadRequest, "agentId is not a valid agent id");
        var badNumber = await api.Get("/api/calls?phoneNumber=5551234567");
        badNumber.AssertProblem(HttpStatusCode.BadRequest, E164.InvalidFormat);
        Assert.Equal("did you mean +15551234567?", badNumber.Body!["hint"]!.GetValue<string>());
        (await api.Get("/api/numbers/5551234567/analytics")).AssertProblem(HttpStatusCode.BadRequest, E164.InvalidFormat);

        // Dates without a time or offset are UTC; a plain date is its midnight.
        var ok = await api.GetOk($"/api/numbers/{escaped}/analytics?from=2026-11-01&to=2026-11-03");
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.Parse(ok["from"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.Equal(new[] { "2026-11-01", "2026-11-02" }, ok["callsByDay"]!.AsArray().Select(d => d!["date"]!.GetValue<string>()));
        Assert.Equal(48, ok["callsByHour"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new ApiClient(system.WebAddress, "nope").Get("/api/calls")).Status);
    }
}
