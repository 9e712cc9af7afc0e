using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Webhooks;

namespace Convocore.Silo.Webhooks;

/// <summary>
/// The events a call record or a number change makes, with their bodies: <c>{id, type, createdAt, workspaceId, data}</c>.
/// A call's event ids are derived from the call and the type, so a record read twice (or an opened call's two records)
/// makes the same events, which the queue then takes once.
/// </summary>
internal static class WebhookEvents
{
    /// <summary>
    /// A routed call has two records in the stream: <paramref name="opened"/> when it was handed to its agent, and the
    /// finished one. Each makes every event its call has had so far, so whichever a silo reads first, the events are
    /// queued in their order.
    /// </summary>
    public static IReadOnlyList<QueuedEvent> OfCall(CallRecord call, bool opened)
    {
        if (call.WorkspaceId is null) return [];
        var events = new List<QueuedEvent>(3);
        var orderKey = "call:" + call.Server + "/" + call.ChannelId;
        // A call that went to its number's fallback was handed over too: routed, with the fallback named.
        var handedOver = call.Outcome is CallOutcome.Routed or CallOutcome.Fallback;
        events.Add(Call(call, WebhookEventTypes.CallStarted, 0, call.StartedAt, orderKey));
        if (handedOver) events.Add(Call(call, WebhookEventTypes.CallRouted, 1, call.StartedAt, orderKey));
        if (opened) return events;
        var end = call.EndedAt ?? call.StartedAt;
        events.Add(handedOver
            ? Call(call, WebhookEventTypes.CallEnded, 2, end, orderKey)
            : Call(call, WebhookEventTypes.CallFailed, 2, end, orderKey));
        return events;
    }

    /// <summary>A number change that landed; <paramref name="dataJson"/> is the number as the API shows it.</summary>
    public static QueuedEvent OfNumber(string eventId, string type, string workspaceId, string phoneNumber, DateTimeOffset at, string dataJson) =>
        new(eventId, type, "number:" + phoneNumber, -1, at, Body(eventId, type, at, workspaceId, w => w.WriteRawValue(dataJson)));

    private static QueuedEvent Call(CallRecord call, string type, int rank, DateTimeOffset at, string orderKey)
    {
        var id = CallEventId(call, type);
        return new QueuedEvent(id, type, orderKey, rank, at, Body(id, type, at, call.WorkspaceId!, w =>
        {
            w.WriteStartObject();
            w.WriteString("callId", call.ChannelId);
            w.WriteString("server", call.Server);
            w.WriteString("phoneNumber", call.PhoneNumber);
            w.WriteString("dialed", call.Dialed);
            w.WriteString("caller", call.CallerNumber);
            w.WriteString("trunkId", call.TrunkId);
            w.WriteString("agentId", call.AgentId);
            w.WriteString("region", call.Region);
            w.WriteString("startedAt", call.StartedAt);
            if (type == WebhookEventTypes.CallFailed) w.WriteString("reason", call.FailureReason);
            if (call.Outcome == CallOutcome.Fallback && type != WebhookEventTypes.CallStarted)
            {
                w.WritePropertyName("fallback");
                NumberFallback.Write(w, NumberFallback.Parse(call.Fallback), call.FailureReason);
            }
            if (type is WebhookEventTypes.CallEnded or WebhookEventTypes.CallFailed)
            {
                if (call.EndedAt is { } ended) w.WriteString("endedAt", ended);
                else w.WriteNull("endedAt");
            }
            if (type == WebhookEventTypes.CallEnded)
            {
                if (call.DurationSeconds is { } seconds) w.WriteNumber("durationSeconds", Math.Round(seconds, 3));
                else w.WriteNull("durationSeconds");
                w.WriteString("endCause", call.EndCause);
            }
            w.WriteEndObject();
        }));
    }

    /// <summary>Lowercase letters and digits, like every id of the API, so it can stand in a path.</summary>
    public static string CallEventId(CallRecord call, string type) =>
        "evt" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(call.Server + "/" + call.ChannelId + "/" + type)).AsSpan(0, 12));

    private static string Body(string id, string type, DateTimeOffset at, string workspaceId, Action<Utf8JsonWriter> data)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("type", type);
            w.WriteString("createdAt", at.ToUniversalTime());
            w.WriteString("workspaceId", workspaceId);
            w.WritePropertyName("data");
            data(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
