using Orleans.Concurrency;

namespace Convocore.Contracts.Audit;

/// <summary>Who made a change and through what: <see cref="Actor"/> is an API key's id (never the key), or "operator", or "system".</summary>
[GenerateSerializer, Immutable, Alias("convocore.audit-actor")]
public sealed record AuditActor([property: Id(0)] string Actor, [property: Id(1)] string Source)
{
    public static readonly AuditActor System = new(AuditSources.System, AuditSources.System);
}

public static class AuditSources
{
    public const string Api = "api";
    public const string Dashboard = "dashboard";
    public const string Import = "import";
    public const string Operator = "operator";
    /// <summary>A change nobody asked for just then (none today: settling always knows who began the change).</summary>
    public const string System = "system";
}

/// <summary>
/// The actor travels with the request (Orleans' request context) from the web app to every grain the request reaches,
/// so that each grain making a change can name who asked for it without every method taking it.
/// </summary>
public static class AuditContext
{
    private const string ActorKey = "convocore.audit.actor";
    private const string SourceKey = "convocore.audit.source";

    public static void Set(AuditActor actor)
    {
        RequestContext.Set(ActorKey, actor.Actor);
        RequestContext.Set(SourceKey, actor.Source);
    }

    public static AuditActor Current =>
        RequestContext.Get(ActorKey) is string actor && RequestContext.Get(SourceKey) is string source ? new AuditActor(actor, source) : AuditActor.System;
}

public static class AuditActions
{
    public const string WorkspaceCreated = "workspace.created";
    public const string PlanChanged = "workspace.planChanged";
    public const string ApiKeyCreated = "apiKey.created";
    public const string ApiKeyRevoked = "apiKey.revoked";
    public const string AgentCreated = "agent.created";
    public const string AgentUpdated = "agent.updated";
    public const string AgentDeleted = "agent.deleted";
    public const string TrunkCreated = "trunk.created";
    public const string TrunkUpdated = "trunk.updated";
    public const string TrunkDeleted = "trunk.deleted";
    public const string NumberAdded = "number.added";
    public const string NumberUpdated = "number.updated";
    public const string NumberDeleted = "number.deleted";
    public const string WebhookCreated = "webhook.created";
    public const string WebhookDeleted = "webhook.deleted";
    /// <summary>The routing hook set or removed: its URL and timeout, never its secret.</summary>
    public const string RoutingHookUpdated = "routingHook.updated";
}

public static class AuditTargets
{
    public const string Workspace = "workspace";
    public const string ApiKey = "apiKey";
    public const string Agent = "agent";
    public const string Trunk = "trunk";
    public const string Number = "number";
    public const string Webhook = "webhook";
    public const string RoutingHook = "routingHook";
}

/// <summary>
/// One change as the audit log keeps it. <see cref="Id"/> starts with the change's time in Unix milliseconds (13 digits),
/// so ids order entries by time. <see cref="BeforeJson"/> and <see cref="AfterJson"/> are JSON objects of the fields
/// that changed (every field for a creation or a deletion), never a secret.
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.audit-entry")]
public sealed record AuditEntry(
    [property: Id(0)] string Id,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Actor,
    [property: Id(3)] string Source,
    [property: Id(4)] string Action,
    [property: Id(5)] string TargetType,
    [property: Id(6)] string TargetId,
    [property: Id(7)] string? BeforeJson,
    [property: Id(8)] string? AfterJson);

/// <param name="Target">A target's id (agent or trunk id, E.164 number, key id, webhook id, workspace id) or a target type.</param>
/// <param name="Actor">An API key id, "operator" or "system".</param>
/// <param name="From">Entries at or after (inclusive).</param>
/// <param name="To">Entries before (exclusive).</param>
/// <param name="Cursor">The nextCursor of the page before: entries older than it.</param>
[GenerateSerializer, Immutable, Alias("convocore.audit-query")]
public sealed record AuditQuery(
    [property: Id(0)] string? Target,
    [property: Id(1)] string? Actor,
    [property: Id(2)] DateTimeOffset? From,
    [property: Id(3)] DateTimeOffset? To,
    [property: Id(4)] string? Cursor,
    [property: Id(5)] int Limit);

/// <param name="NextCursor">Null when there is nothing older; a page may hold fewer than the limit and still have one.</param>
[GenerateSerializer, Immutable, Alias("convocore.audit-page")]
public sealed record AuditPage([property: Id(0)] IReadOnlyList<AuditEntry> Items, [property: Id(1)] string? NextCursor);

/// <summary>Reads a workspace's audit log (keyed by the workspace id).</summary>
[Alias("convocore.audit-log")]
public interface IAuditLogGrain : IGrainWithStringKey
{
    [ReadOnly]
    Task<AuditPage> Page(AuditQuery query);
}

/// <summary>A grain that keeps audit entries in its own state until they are in the log (see the silo's AuditOutbox).</summary>
[Alias("convocore.audited")]
public interface IAuditedGrain
{
    /// <summary>Writes the entries its state still holds to the log; safe to repeat.</summary>
    Task FlushAudit();
}

public static class AuditRules
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>13 digits of Unix milliseconds, a dash, 32 hex digits.</summary>
    public static bool IsCursor(string? cursor) =>
        cursor is { Length: 46 } && cursor[13] == '-' && cursor.AsSpan(0, 13).ContainsAnyExceptInRange('0', '9') is false
        && cursor.AsSpan(14).ContainsAnyExcept("0123456789abcdef") is false;

    public static string IdPrefix(DateTimeOffset at) => Math.Max(0, at.ToUnixTimeMilliseconds()).ToString("D13", System.Globalization.CultureInfo.InvariantCulture);
}
