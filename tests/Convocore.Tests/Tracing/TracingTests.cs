using System.Diagnostics;
using Convocore.AriSimulator;
using Convocore.Silo.Routing;
using Convocore.Silo.Routing.Ari;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Tracing;

/// <summary>What the operator's Traces page gets: calls and API requests as one trace each, and no background noise.</summary>
/// <remarks>Alone: spans are read process-wide, so other tests' calls and requests would count as this system's.</remarks>
[Collection(TracingCollection.Name)]
public sealed class TracingTests(TracingSystem system) : IClassFixture<TracingSystem>
{
    private const string Caller = "+442071239876";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_call_is_one_trace_from_StasisStart_to_the_handoff_with_its_lookup_ARI_requests_and_record_and_never_the_callers_number()
    {
        var setup = await Setup();
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var first = system.Asterisk.PlaceCall(number, Caller);
        Assert.Equal(CallOutcomeKind.Continued, (await first.Outcome.WaitAsync(Patience)).Kind);
        var trace = await CallTrace(first.ChannelId, CallTracing.OpenEntrySpan);

        var call = Assert.Single(trace, s => s.OperationName == CallTracing.CallSpan);
        Assert.Equal(default, call.ParentSpanId);
        Assert.Equal(ActivityKind.Server, call.Kind);
        Assert.Equal(number, call.GetTagItem(CallTracing.Number));
        Assert.Equal("routed", call.GetTagItem(CallTracing.Outcome));
        Assert.Equal(setup.AgentId, call.GetTagItem(CallTracing.AgentId));
        Assert.Equal(setup.TrunkId, call.GetTagItem(CallTracing.TrunkId));
        Assert.Equal("NA", call.GetTagItem(CallTracing.Region));
        Assert.Equal("sim-na", call.GetTagItem(CallTracing.Server));
        Assert.Equal(true, call.GetTagItem(CallTracing.TableMiss));
        // The first call missed the table: its lookups, with the storage read and grain calls under them.
        var lookups = trace.Where(s => s.OperationName == CallTracing.LookupSpan).ToArray();
        Assert.NotEmpty(lookups);
        Assert.Contains(trace, s => s.Source.Name == "Microsoft.Orleans.Application" && lookups.Any(l => l.SpanId == s.ParentSpanId));
        // Each ARI request, named by its route template, over HTTP (the variables) and over the WebSocket (continue).
        var variables = Assert.Single(trace, s => s.OperationName == AriTracing.SetVariables);
        var continued = Assert.Single(trace, s => s.OperationName == AriTracing.Continue);
        Assert.Equal("http", variables.GetTagItem("convocore.ari.transport"));
        Assert.Equal("websocket", continued.GetTagItem("convocore.ari.transport"));
        Assert.Equal(call.SpanId, variables.ParentSpanId);
        Assert.Equal(call.SpanId, continued.ParentSpanId);
        Assert.True(continued.StartTimeUtc + continued.Duration <= call.StartTimeUtc + call.Duration, "the call ends with its handoff");
        Assert.Equal(call.SpanId, Assert.Single(trace, s => s.OperationName == CallTracing.OpenEntrySpan).ParentSpanId);
        AssertNested(trace);

        // A warm call: decided from memory, no lookup.
        var warm = system.Asterisk.PlaceCall(number, Caller);
        Assert.Equal(CallOutcomeKind.Continued, (await warm.Outcome.WaitAsync(Patience)).Kind);
        var warmTrace = await CallTrace(warm.ChannelId, CallTracing.OpenEntrySpan);
        Assert.DoesNotContain(warmTrace, s => s.OperationName == CallTracing.LookupSpan);
        Assert.Null(warmTrace.Single(s => s.OperationName == CallTracing.CallSpan).GetTagItem(CallTracing.TableMiss));

        // Its end joins the call's trace, with the record's write.
        Assert.True(system.Asterisk.EndCall(first.ChannelId));
        trace = await CallTrace(first.ChannelId, CallTracing.RecordSpan);
        var ended = Assert.Single(trace, s => s.OperationName == CallTracing.CallEndedSpan);
        Assert.Equal(call.SpanId, ended.ParentSpanId);
        Assert.Equal(ended.SpanId, Assert.Single(trace, s => s.OperationName == CallTracing.RecordSpan).ParentSpanId);

        // A refused call: its hang-up, its outcome and reason.
        var unknown = TestNumbers.Next();
        var refused = system.Asterisk.PlaceCall(unknown, Caller);
        Assert.Equal(CallOutcomeKind.HungUp, (await refused.Outcome.WaitAsync(Patience)).Kind);
        var refusedTrace = await CallTrace(refused.ChannelId, CallTracing.RecordSpan);
        var refusedCall = refusedTrace.Single(s => s.OperationName == CallTracing.CallSpan);
        Assert.Equal("failed", refusedCall.GetTagItem(CallTracing.Outcome));
        Assert.Equal("unallocated", refusedCall.GetTagItem(CallTracing.FailureReason));
        Assert.Equal(unknown, refusedCall.GetTagItem(CallTracing.Number));
        Assert.Single(refusedTrace, s => s.OperationName == AriTracing.Hangup);

        // The caller's number appears nowhere: no name, tag, event or status of any span.
        var everything = system.Spans;
        Assert.All(everything, span => Assert.DoesNotContain(Caller[1..], Describe(span), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_API_request_is_one_trace_with_its_grain_calls_nested_under_it_on_both_sides()
    {
        var setup = await Setup();
        var before = DateTime.UtcNow;
        // As a browser or curl sends it: no trace context of its own (this process's HttpClient would send one).
        using (var browser = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = system.WebAddress })
        {
            browser.DefaultRequestHeaders.Authorization = new("Bearer", setup.Workspace.ApiKey);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await browser.GetAsync($"/api/agents/{setup.AgentId}")).StatusCode);
        }

        Activity? request = null;
        await Eventually.True(() =>
        {
            request = system.Spans.LastOrDefault(s => s.Source.Name == "Microsoft.AspNetCore" && s.StartTimeUtc >= before
                && (s.GetTagItem("url.path") as string) == $"/api/agents/{setup.AgentId}");
            return Task.FromResult(request is not null);
        }, "the request's span", seconds: 15);
        Assert.Equal(default, request!.ParentSpanId);
        var trace = system.Spans.Where(s => s.TraceId == request.TraceId).ToArray();
        var clientCalls = trace.Where(s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Client).ToArray();
        var siloCalls = trace.Where(s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Server).ToArray();
        Assert.NotEmpty(clientCalls);
        Assert.NotEmpty(siloCalls);
        // The web app's grain calls hang under the request, and the silo's handling of each under the call that made it.
        Assert.Contains(clientCalls, c => c.ParentSpanId == request.SpanId);
        Assert.All(siloCalls, s => Assert.Contains(clientCalls, c => c.SpanId == s.ParentSpanId));
        AssertNested(trace);
    }

    [Fact]
    public async Task An_idle_silo_starts_no_trace_from_Redis_polling_timers_or_the_connection_keeper()
    {
        await Setup(); // the system has served a request: every background loop is up
        var from = DateTime.UtcNow;
        // Aspire's Redis tracing turns commands into spans every 10 s: wait past one round.
        await Task.Delay(TimeSpan.FromSeconds(12));

        var roots = system.Spans.Where(s => s.StartTimeUtc >= from && s.ParentSpanId == default).ToArray();
        Assert.True(roots.Length == 0, "root spans while idle: " + string.Join(", ", roots.Select(r => $"{r.Source.Name}/{r.DisplayName}").Distinct()));
        // Not for want of background work: the sources made those spans, and the sampler left them out.
        var made = system.Created.Where(c => c.Started >= from).ToArray();
        Assert.Contains(made, c => c.Source == TracingSystem.RedisSource && c.Name.Contains("XREADGROUP", StringComparison.Ordinal));
        Assert.Contains(made, c => c.Name == "IAsteriskConnectionGrain/Ensure");
    }

    private async Task<NumberSetup> Setup()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Pro", "Traces test");
        return new NumberSetup(workspace, await workspace.CreateTrunk(), await workspace.CreateAgent());
    }

    /// <summary>The spans of the trace whose <c>call</c> span names <paramref name="channelId"/>, once one named <paramref name="awaited"/> is in.</summary>
    private async Task<Activity[]> CallTrace(string channelId, string awaited)
    {
        Activity[] trace = [];
        await Eventually.True(() =>
        {
            var spans = system.Spans;
            var call = spans.FirstOrDefault(s => s.OperationName == CallTracing.CallSpan && (s.GetTagItem(CallTracing.ChannelId) as string) == channelId);
            trace = call is null ? [] : spans.Where(s => s.TraceId == call.TraceId).ToArray();
            return Task.FromResult(trace.Any(s => s.OperationName == awaited));
        }, $"the trace of channel {channelId} with its {awaited}", seconds: 15);
        return trace;
    }

    /// <summary>One root, and every other span's parent is in the trace.</summary>
    private static void AssertNested(IReadOnlyList<Activity> trace)
    {
        Assert.Single(trace, s => s.ParentSpanId == default);
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        Assert.All(trace.Where(s => s.ParentSpanId != default), s => Assert.Contains(s.ParentSpanId, ids));
    }

    private static string Describe(Activity span) => string.Join("|",
        new[] { span.OperationName, span.DisplayName, span.StatusDescription ?? "" }
            .Concat(span.TagObjects.Select(t => $"{t.Key}={t.Value}"))
            .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}").Append(e.Name)))
            .Concat(span.Baggage.Select(b => $"{b.Key}={b.Value}")));
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "tracing";
}
