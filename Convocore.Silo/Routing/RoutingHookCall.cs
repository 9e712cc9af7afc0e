using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Convocore.Contracts.Common;
using Convocore.Contracts.Webhooks;
using Convocore.Silo.Outbound;

namespace Convocore.Silo.Routing;

/// <summary>What the routing hook did for a call, as its record names it (<see cref="Contracts.Routing.CallRecord.Hook"/>).</summary>
internal static class HookOutcomes
{
    public const string Answered = "answered";
    public const string Rejected = "rejected";
    public const string Timeout = "timeout";
    public const string Error = "error";
    public const string Invalid = "invalid";
    /// <summary>The number has the hook on, the workspace has no hook: the static agent.</summary>
    public const string None = "none";
}

/// <summary>
/// Where a hooked call goes: <see cref="Decision"/> as the table would route it, and when the hook chose the agent (or
/// added variables), <see cref="AgentId"/> and <see cref="Variables"/> replace the number's own.
/// </summary>
internal sealed record HookedRoute(string Hook, RouteDecision Decision, string? AgentId = null, KeyValuePair<string, string>[]? Variables = null);

/// <summary>
/// Asks a workspace's routing hook where one call goes: POSTs the call (signed as webhooks are) through the outbound
/// guard's shared client, waits at most the hook's timeout, and reads its answer. Anything but a usable answer sends the
/// call on as if the number had no hook (the static agent, else its fallback with a hook_* reason). The hook's url,
/// timeout and secret come from the silo's routing table, never from storage on a call.
/// </summary>
internal sealed class RoutingHookCall(RoutingTable table, OutboundHttp http, RoutingMetrics metrics, TimeProvider clock, ILogger<RoutingHookCall> logger)
{
    public const string EventIdHeader = "Convocore-Event-Id";
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    public async Task<HookedRoute> Decide(NumberRoute number, string callId, string caller)
    {
        if (await table.Hook(number.WorkspaceId) is not { } hook)
            return new HookedRoute(HookOutcomes.None, await table.WithoutHook(number, FallbackReasons.HookError));
        var started = Stopwatch.GetTimestamp();
        var (outcome, answer) = await Ask(hook, number, callId, caller);
        metrics.HookAnswered(started, outcome);
        if (outcome != HookOutcomes.Answered)
            return new HookedRoute(outcome, await table.WithoutHook(number, outcome == HookOutcomes.Timeout ? FallbackReasons.HookTimeout : FallbackReasons.HookError));
        return await Use(number, answer!.Value);
    }

    private async Task<(string Outcome, HookAnswer? Answer)> Ask(RoutingHookTarget hook, NumberRoute number, string callId, string caller)
    {
        var body = Body(number, callId, caller);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(hook.TimeoutMs));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = Json;
            request.Headers.TryAddWithoutValidation(OutboundSignature.Header, OutboundSignature.Sign(hook.Secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));
            request.Headers.TryAddWithoutValidation(EventIdHeader, Ids.New());
            using var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode) return (HookOutcomes.Error, null);
            var text = await ReadBounded(response.Content, timeout.Token);
            return text is not null && Read(text) is { } answer ? (HookOutcomes.Answered, answer) : (HookOutcomes.Invalid, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (HookOutcomes.Timeout, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            logger.LogDebug("Routing hook of workspace {WorkspaceId} failed: {Error}", number.WorkspaceId, ex.Message);
            return (HookOutcomes.Error, null);
        }
    }

    /// <summary>
    /// The answer's body, or null past <see cref="MaxAnswerBytes"/>: a usable answer is a few KB (20 variables of 256
    /// characters), and a hook that sends more must not make the silo buffer it.
    /// </summary>
    private static async Task<byte[]?> ReadBounded(HttpContent content, CancellationToken cancel)
    {
        if (content.Headers.ContentLength > MaxAnswerBytes) return null;
        await using var stream = await content.ReadAsStreamAsync(cancel);
        var buffer = new byte[MaxAnswerBytes + 1];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancel);
            if (n == 0) return buffer.AsSpan(0, read).ToArray();
            read += n;
        }
        return null;
    }

    public const int MaxAnswerBytes = 64 * 1024;

    /// <summary>An answer the JSON of which was usable: the agent and variables are checked against the call next.</summary>
    private readonly record struct HookAnswer(string? AgentId, KeyValuePair<string, string>[] Variables, string? Reject);

    private async Task<HookedRoute> Use(NumberRoute number, HookAnswer answer)
    {
        if (answer.Reject is { } cause)
            return new HookedRoute(HookOutcomes.Rejected, RouteDecision.Reject(number, cause,
                cause == "busy" ? CallFailure.HookRejectedBusy : CallFailure.HookRejected));
        var agentId = answer.AgentId ?? number.AgentId;
        if (!Ids.IsWellFormed(agentId) || await table.AgentUnavailable(Ids.Scoped(number.WorkspaceId, agentId)) is not null)
            return new HookedRoute(HookOutcomes.Invalid, await table.WithoutHook(number, FallbackReasons.HookAgentUnavailable));
        return new HookedRoute(HookOutcomes.Answered, number.Continue, agentId, Variables(number, agentId, answer.Variables));
    }

    /// <summary>The number's variables with the chosen agent, the hook's beside them (never in place of a CONVOCORE_ one), the hangup handler last.</summary>
    private static KeyValuePair<string, string>[] Variables(NumberRoute number, string agentId, KeyValuePair<string, string>[] extra)
    {
        var own = number.Variables;
        var all = new KeyValuePair<string, string>[own.Length + extra.Length];
        all[0] = new("CONVOCORE_AGENT_ID", agentId);
        Array.Copy(own, 1, all, 1, own.Length - 2);
        Array.Copy(extra, 0, all, own.Length - 1, extra.Length);
        all[^1] = own[^1];
        return all;
    }

    private static byte[] Body(NumberRoute number, string callId, string caller)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("callId", callId);
            w.WriteString("phoneNumber", number.PhoneNumber);
            w.WriteString("caller", caller);
            w.WriteString("trunkId", number.TrunkId);
            w.WriteString("region", number.Region);
            w.WriteString("agentId", number.AgentId);
            w.WritePropertyName("additionalParams");
            w.WriteRawValue(number.AdditionalParamsJson);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>{"agentId": "…"|null, "variables": {NAME: "value"}} or {"reject": "busy"|"rejected"}; null for anything else.</summary>
    private static HookAnswer? Read(byte[] text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (root.TryGetProperty("reject", out var reject))
                return reject.ValueKind == JsonValueKind.String && reject.GetString() is "busy" or "rejected"
                    ? new HookAnswer(null, [], reject.GetString())
                    : null;
            string? agentId = null;
            if (root.TryGetProperty("agentId", out var agent))
            {
                if (agent.ValueKind == JsonValueKind.String) agentId = agent.GetString();
                else if (agent.ValueKind != JsonValueKind.Null) return null;
            }
            var variables = new List<KeyValuePair<string, string>>();
            if (root.TryGetProperty("variables", out var given) && given.ValueKind != JsonValueKind.Null)
            {
                if (given.ValueKind != JsonValueKind.Object) return null;
                foreach (var variable in given.EnumerateObject())
                {
                    if (variables.Count == RoutingHookRules.MaxVariables || !IsVariableName(variable.Name)
                        || variable.Value.ValueKind != JsonValueKind.String || variable.Value.GetString()!.Length > RoutingHookRules.MaxVariableValueLength)
                        return null;
                    variables.Add(new(variable.Name, variable.Value.GetString()!));
                }
            }
            return new HookAnswer(agentId, variables.ToArray(), null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>[A-Z0-9_], at most 64 characters, and not one of ours (CONVOCORE_*), which the hook may not replace.</summary>
    private static bool IsVariableName(string name)
    {
        if (name.Length is 0 or > 64 || name.StartsWith("CONVOCORE_", StringComparison.Ordinal)) return false;
        foreach (var c in name)
            if (c is not (>= 'A' and <= 'Z' or >= '0' and <= '9' or '_')) return false;
        return true;
    }
}
