using System.Buffers;
using System.Text;
using System.Text.Json;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Webhooks;
using Convocore.Silo.Workspaces;
using StackExchange.Redis;

namespace Convocore.Silo.Webhooks;

/// <summary>
/// Number changes that landed, for the webhooks: one entry each in the Redis stream <c>convocore:number-events</c>,
/// written by the number-change protocol before the change is crossed off (so a crash before then writes it again on
/// settling; the event id is the change's operation id, so the copy is queued once).
/// </summary>
internal sealed class NumberEvents([FromKeyedServices("redis")] IConnectionMultiplexer redis, IConfiguration configuration, TimeProvider clock)
{
    /// <summary>The stream is read by the webhook fan-out; older entries than this many go.</summary>
    private const int MaxLength = 1_000_000;

    public RedisKey Stream { get; } = (configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:") + "number-events";

    /// <param name="after">The number as it is now (an add or a reassign), null for a delete.</param>
    public Task Landed(string workspaceId, PendingNumberChange change, NumberAssignment? after) =>
        Landed(redis.GetDatabase(), workspaceId, change, after);

    /// <param name="db">A batch, to send the event in one packet with the change's audit entry (one fsync rather than two).</param>
    public Task Landed(IDatabaseAsync db, string workspaceId, PendingNumberChange change, NumberAssignment? after)
    {
        var (type, shown) = change.Kind switch
        {
            NumberChangeKind.Add when after is not null => (WebhookEventTypes.NumberCreated, after),
            NumberChangeKind.Reassign when after is not null => (WebhookEventTypes.NumberUpdated, after),
            NumberChangeKind.Delete when change.Before is not null => (WebhookEventTypes.NumberDeleted, change.Before),
            _ => (null, null),
        };
        if (type is null) return Task.CompletedTask;
        NameValueEntry[] fields =
        [
            new("id", "evt" + change.OperationId.ToString("N")), new("type", type), new("ws", workspaceId), new("number", change.PhoneNumber),
            new("at", clock.GetUtcNow().ToUnixTimeMilliseconds()), new("data", Data(change.PhoneNumber, shown!, type == WebhookEventTypes.NumberDeleted)),
        ];
        return db.StreamAddAsync(Stream, fields, maxLength: MaxLength, useApproximateMaxLength: true);
    }

    private static string Data(string phoneNumber, NumberAssignment a, bool deleted)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("phoneNumber", phoneNumber);
            w.WriteString("trunkId", a.TrunkId);
            w.WriteString("agentId", a.AgentId);
            if (!deleted)
            {
                w.WriteString("region", a.Region.ToString());
                w.WritePropertyName("additionalParams");
                if (a.AdditionalParamsJson is null) w.WriteNullValue();
                else w.WriteRawValue(a.AdditionalParamsJson);
                w.WritePropertyName("fallback");
                NumberFallback.Write(w, a.Fallback);
                w.WriteBoolean("routingHook", a.RoutingHook);
                w.WriteString("createdAt", a.CreatedAt);
                w.WriteString("updatedAt", a.UpdatedAt);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
