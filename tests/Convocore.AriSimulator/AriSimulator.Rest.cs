using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Convocore.AriSimulator;

internal readonly record struct SimulatedResponse(int StatusCode, string? Body);

public sealed partial class AriSimulator
{
    private static readonly SimulatedResponse NoContent = new(204, null);
    /// <summary>No answer at all: the command is dropped (<see cref="CommandFault.NoAnswer"/>).</summary>
    private static readonly SimulatedResponse Unanswered = new(0, null);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, EventFilter> _eventFilters = new(StringComparer.Ordinal);
    private static readonly SimulatedResponse ChannelNotFound = ErrorResponse(404, "Channel not found");
    private static readonly SimulatedResponse NotInStasis = ErrorResponse(409, "Channel not in Stasis application");

    private static SimulatedResponse ErrorResponse(int statusCode, string message) =>
        new(statusCode, JsonSerializer.Serialize(new Dictionary<string, string> { ["message"] = message }));

    /// <summary>What a command did to a call; applied after the command is recorded, so awaiting tests see it.</summary>
    private sealed class CommandEffects
    {
        public SimulatedCall? Call;
        public CallOutcome? Outcome;
        public int? EndedCause;
    }

    /// <summary>The same handling for HTTP and REST over WebSocket.</summary>
    private async Task<SimulatedResponse> ExecuteAsync(
        string transport, string method, string path, List<KeyValuePair<string, string>> query, string? body,
        CancellationToken cancellationToken)
    {
        var received = Stopwatch.GetTimestamp();
        if (ResponseDelay is { Ticks: > 0 } delay) await Task.Delay(delay, cancellationToken);

        var effects = new CommandEffects();
        var response = Execute(method.ToUpperInvariant(), path, query, body, effects);

        var command = new ReceivedCommand(received, transport, method.ToUpperInvariant(), path, query, body, response.StatusCode);
        if (Options.RecordCommands) _commands.Enqueue(command);
        if (effects.Call is { } call)
        {
            call.Record(command);
            if (effects.Outcome is { } outcome) call.Complete(outcome);
            if (effects.EndedCause is { } cause) call.CompleteEnded(cause);
        }
        return response;
    }

    private SimulatedResponse Execute(
        string method, string path, List<KeyValuePair<string, string>> query, string? body, CommandEffects effects)
    {
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++) segments[i] = Uri.UnescapeDataString(segments[i]);

        switch (_routes.Match(method, segments, out var operation))
        {
            case RouteMatch.NotFound: return ErrorResponse(404, "Resource not found");
            case RouteMatch.MethodNotAllowed: return ErrorResponse(405, "Invalid method");
        }

        if (segments[0] == "channels" && segments.Length > 1)
            effects.Call = _calls.GetValueOrDefault(segments[1]);

        if (ApiRoutes.Validate(operation!, query, body, Options.RejectUnknownQueryParameters) is { } invalid)
            return ErrorResponse(400, invalid);

        if (operation!.Nickname != "getInfo")
        {
            switch (_commandFault)
            {
                case CommandFault.InternalServerError: return ErrorResponse(500, "Internal Server Error");
                case CommandFault.NoAnswer: return Unanswered;
            }
            if (TryConsumeInjectedFailure()) return ErrorResponse(500, "Internal Server Error");
        }

        return (segments[0], operation.Nickname) switch
        {
            ("asterisk", "getInfo") => Info(query),
            ("asterisk", "ping") => Ping(),
            ("channels", "list") => ListChannels(),
            ("channels", "get") => effects.Call is { } call ? GetChannel(call) : ChannelNotFound,
            ("channels", "setChannelVar") => SetVariable(effects.Call, query),
            ("channels", "setChannelVars") => SetVariables(effects.Call, body!),
            ("channels", "continueInDialplan") => Continue(effects, query),
            ("channels", "hangup") => Hangup(effects, query),
            ("channels", "originate") => Originate(query, body),
            ("applications", "subscribe") => Subscribe(segments[1], query),
            ("applications", "filter") => Filter(segments[1], body),
            _ => ErrorResponse(501, $"{operation.Nickname} is not implemented by the simulator"),
        };
    }

    private bool TryConsumeInjectedFailure()
    {
        var remaining = Volatile.Read(ref _failNextCommands);
        while (remaining > 0)
        {
            var seen = Interlocked.CompareExchange(ref _failNextCommands, remaining - 1, remaining);
            if (seen == remaining) return true;
            remaining = seen;
        }
        return false;
    }

    private SimulatedResponse Info(List<KeyValuePair<string, string>> query)
    {
        var only = query.Where(q => q.Key == "only").SelectMany(q => q.Value.Split(',')).ToHashSet();
        bool Wanted(string section) => only.Count == 0 || only.Contains(section);

        var writer = EventWriter.Rent();
        writer.WriteStartObject();
        if (Wanted("build"))
        {
            writer.WriteStartObject("build");
            writer.WriteString("os", "Linux");
            writer.WriteString("kernel", "6.8.0");
            writer.WriteString("options", "");
            writer.WriteString("machine", "x86_64");
            writer.WriteString("date", "2026-11-24 10:00:00 UTC");
            writer.WriteString("user", "simulator");
            writer.WriteEndObject();
        }
        if (Wanted("system"))
        {
            writer.WriteStartObject("system");
            writer.WriteString("version", Options.AsteriskVersion);
            writer.WriteString("entity_id", Options.AsteriskId);
            writer.WriteEndObject();
        }
        if (Wanted("config"))
        {
            writer.WriteStartObject("config");
            writer.WriteString("name", "");
            writer.WriteString("default_language", "en");
            writer.WriteStartObject("setid");
            writer.WriteString("user", "");
            writer.WriteString("group", "");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        if (Wanted("status"))
        {
            writer.WriteStartObject("status");
            EventWriter.WriteTimestamp(writer, "startup_time"u8, _startupUtc);
            EventWriter.WriteTimestamp(writer, "last_reload_time"u8, _startupUtc);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        return new SimulatedResponse(200, System.Text.Encoding.UTF8.GetString(EventWriter.Finish()));
    }

    private SimulatedResponse Ping()
    {
        var writer = EventWriter.Rent();
        writer.WriteStartObject();
        writer.WriteString("asterisk_id", Options.AsteriskId);
        writer.WriteString("ping", "pong");
        EventWriter.WriteTimestamp(writer, "timestamp"u8, UtcNow);
        writer.WriteEndObject();
        return new SimulatedResponse(200, System.Text.Encoding.UTF8.GetString(EventWriter.Finish()));
    }

    private SimulatedResponse ListChannels()
    {
        var writer = EventWriter.Rent();
        writer.WriteStartArray();
        foreach (var call in _calls.Values)
        {
            lock (call.Sync)
            {
                if (!call.Alive) continue;
                writer.WriteStartObject();
                EventWriter.WriteChannelProperties(writer, call, Options.ReportedChannelVariables);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();
        return new SimulatedResponse(200, System.Text.Encoding.UTF8.GetString(EventWriter.Finish()));
    }

    private SimulatedResponse GetChannel(SimulatedCall call)
    {
        var writer = EventWriter.Rent();
        lock (call.Sync)
        {
            writer.WriteStartObject();
            EventWriter.WriteChannelProperties(writer, call, Options.ReportedChannelVariables);
            writer.WriteEndObject();
        }
        return new SimulatedResponse(200, System.Text.Encoding.UTF8.GetString(EventWriter.Finish()));
    }

    private static SimulatedResponse SetVariable(SimulatedCall? call, List<KeyValuePair<string, string>> query)
    {
        if (call is null) return ChannelNotFound;
        lock (call.Sync)
        {
            if (!call.Alive) return ChannelNotFound;
            if (!call.InStasis) return NotInStasis;
            call.VariablesUnsafe[query.First(q => q.Key == "variable").Value] =
                query.FirstOrDefault(q => q.Key == "value").Value ?? "";
        }
        return NoContent;
    }

    /// <summary>
    /// POST /channels of a Local channel into a dialplan context, as the silo places test calls: its second half
    /// (otherChannelId) enters Stasis as a provider's call would through [from-trunk], with the inherited _CONVOCORE_TRUNK
    /// as its trunk argument and the originate's caller id. The first half, which plays the caller, is not simulated.
    /// </summary>
    private SimulatedResponse Originate(List<KeyValuePair<string, string>> query, string? body)
    {
        string? Value(string name) => query.FirstOrDefault(q => q.Key == name).Value;
        var endpoint = Value("endpoint") ?? "";
        var at = endpoint.IndexOf('@');
        if (!endpoint.StartsWith("Local/", StringComparison.Ordinal) || at < 0)
            return ErrorResponse(400, "The simulator originates Local/<extension>@<context> endpoints only");
        var extension = endpoint[6..at];
        var trunk = "";
        if (!string.IsNullOrEmpty(body))
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("variables", out var variables)
                && variables.TryGetProperty("_CONVOCORE_TRUNK", out var inherited))
                trunk = inherited.GetString() ?? "";
        }
        var callerId = Value("callerId") ?? "";
        var open = callerId.LastIndexOf('<');
        var callerNumber = open >= 0 && callerId.EndsWith('>') ? callerId[(open + 1)..^1] : callerId;
        var otherId = Value("otherChannelId");
        if (otherId is not null && _calls.ContainsKey(otherId)) return ErrorResponse(409, "Channel with given unique ID already exists");
        var call = PlaceCall(extension, callerNumber, [extension, trunk], deliverStasisStart: true, otherId, $"{endpoint}-{Environment.TickCount64:x8};2");
        return GetChannel(call);
    }

    private static SimulatedResponse SetVariables(SimulatedCall? call, string body)
    {
        if (call is null) return ChannelNotFound;
        using var document = JsonDocument.Parse(body);
        var variables = document.RootElement.GetProperty("variables");
        foreach (var variable in variables.EnumerateObject())
            if (variable.Value.ValueKind != JsonValueKind.String)
                return ErrorResponse(400, $"Variable '{variable.Name}' must be a string");

        lock (call.Sync)
        {
            if (!call.Alive) return ChannelNotFound;
            if (!call.InStasis) return NotInStasis;
            foreach (var variable in variables.EnumerateObject())
                call.VariablesUnsafe[variable.Name] = variable.Value.GetString()!;
        }
        return NoContent;
    }

    /// <summary>Missing context/extension keep the current ones; without a priority, a new place starts at 1, the same one moves on.</summary>
    private SimulatedResponse Continue(CommandEffects effects, List<KeyValuePair<string, string>> query)
    {
        if (effects.Call is not { } call) return ChannelNotFound;
        var context = query.FirstOrDefault(q => q.Key == "context").Value;
        var extension = query.FirstOrDefault(q => q.Key == "extension").Value;
        var priorityText = query.FirstOrDefault(q => q.Key == "priority").Value;
        var priority = string.IsNullOrEmpty(priorityText) ? 0 : long.Parse(priorityText, CultureInfo.InvariantCulture);

        lock (call.Sync)
        {
            if (!call.Alive) return ChannelNotFound;
            if (!call.InStasis) return NotInStasis;

            LeaveStasis(call);
            var moved = !string.IsNullOrEmpty(context) || !string.IsNullOrEmpty(extension);
            call.Context = string.IsNullOrEmpty(context) ? call.Context : context;
            call.Extension = string.IsNullOrEmpty(extension) ? call.Extension : extension;
            call.Priority = priority > 0 ? priority : moved ? 1 : call.Priority + 1;
            call.State = "Up";
            effects.Outcome = new CallOutcome(CallOutcomeKind.Continued, new Dictionary<string, string>(call.VariablesUnsafe),
                call.Context, call.Extension, call.Priority);
        }
        ScheduleEnd(call);
        return NoContent;
    }

    private SimulatedResponse Hangup(CommandEffects effects, List<KeyValuePair<string, string>> query)
    {
        if (effects.Call is not { } call) return ChannelNotFound;
        var reason = query.FirstOrDefault(q => q.Key == "reason").Value;
        var reasonCode = query.FirstOrDefault(q => q.Key == "reason_code").Value;
        if (!string.IsNullOrEmpty(reason) && !string.IsNullOrEmpty(reasonCode))
            return ErrorResponse(400, "The reason and reason_code can't both be specified");

        int cause;
        if (!string.IsNullOrEmpty(reasonCode))
        {
            if (!int.TryParse(reasonCode, NumberStyles.None, CultureInfo.InvariantCulture, out cause))
                return ErrorResponse(400, "Invalid reason for hangup provided");
        }
        else
        {
            cause = string.IsNullOrEmpty(reason) ? HangupCauses.NormalClearing : HangupCauses.FromReason(reason) ?? -1;
            if (cause < 0) return ErrorResponse(400, "Invalid reason for hangup provided");
        }

        lock (call.Sync)
        {
            if (!call.Alive) return ChannelNotFound;
            if (call.InStasis)
                effects.Outcome = new CallOutcome(CallOutcomeKind.HungUp, new Dictionary<string, string>(call.VariablesUnsafe),
                    HangupReason: string.IsNullOrEmpty(reason) ? reasonCode ?? "normal" : reason, Cause: cause);
            Destroy(call, cause);
        }
        effects.EndedCause = cause;
        return NoContent;
    }

    /// <summary>
    /// PUT /applications/{app}/eventFilter as applications.json describes it: an empty body clears both lists, a list that
    /// is given replaces its own, an empty "allowed" list allows everything, "disallowed" wins over "allowed".
    /// </summary>
    private SimulatedResponse Filter(string application, string? body)
    {
        if (!_registeredApps.ContainsKey(application)) return ErrorResponse(404, "Application not found");

        var filter = _eventFilters.GetOrAdd(application, _ => new EventFilter([], []));
        if (string.IsNullOrWhiteSpace(body))
        {
            filter = new EventFilter([], []);
        }
        else
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return ErrorResponse(400, "Invalid filter");
            var allowed = filter.Allowed;
            var disallowed = filter.Disallowed;
            foreach (var list in document.RootElement.EnumerateObject())
            {
                if (list.Name is not ("allowed" or "disallowed") || list.Value.ValueKind != JsonValueKind.Array)
                    return ErrorResponse(400, "Invalid filter");
                var types = new HashSet<string>(StringComparer.Ordinal);
                foreach (var entry in list.Value.EnumerateArray())
                {
                    if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("type", out var type)
                        || type.ValueKind != JsonValueKind.String)
                        return ErrorResponse(400, "Invalid filter");
                    types.Add(type.GetString()!);
                }
                if (list.Name == "allowed") allowed = types;
                else disallowed = types;
            }
            filter = new EventFilter(allowed, disallowed);
        }
        _eventFilters[application] = filter;

        var writer = EventWriter.Rent();
        writer.WriteStartObject();
        writer.WriteString("name", application);
        foreach (var empty in (ReadOnlySpan<string>)["channel_ids", "bridge_ids", "endpoint_ids", "device_names"])
        {
            writer.WriteStartArray(empty);
            writer.WriteEndArray();
        }
        foreach (var (name, types) in (ReadOnlySpan<(string, HashSet<string>)>)[("events_allowed", filter.Allowed), ("events_disallowed", filter.Disallowed)])
        {
            writer.WriteStartArray(name);
            foreach (var type in types)
            {
                writer.WriteStartObject();
                writer.WriteString("type", type);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        return new SimulatedResponse(200, System.Text.Encoding.UTF8.GetString(EventWriter.Finish()));
    }

    private sealed record EventFilter(HashSet<string> Allowed, HashSet<string> Disallowed)
    {
        public bool Allows(string type) => !Disallowed.Contains(type) && (Allowed.Count == 0 || Allowed.Contains(type));
    }

    private bool IsAllowed(string application, string type) =>
        !_eventFilters.TryGetValue(application, out var filter) || filter.Allows(type);

    /// <summary>The event types the application allowed through PUT /applications/{app}/eventFilter; empty when unfiltered.</summary>
    public IReadOnlyCollection<string> AllowedEvents(string application) =>
        _eventFilters.TryGetValue(application, out var filter) ? filter.Allowed : [];

    /// <summary>
    /// Only channel:{id} sources exist here. The answer lists just the channels of this request, so a load run with
    /// thousands of subscribed channels stays cheap.
    /// </summary>
    private SimulatedResponse Subscribe(string application, List<KeyValuePair<string, string>> query)
    {
        if (!_registeredApps.ContainsKey(application)) return ErrorResponse(404, "Application not found");

        var sources = query.Where(q => q.Key == "eventSource").SelectMany(q => q.Value.Split(',')).ToArray();
        var calls = new List<SimulatedCall>(sources.Length);
        foreach (var source in sources)
        {
            var colon = source.IndexOf(':');
            var scheme = colon < 0 ? source : source[..colon];
            if (scheme is not ("channel" or "bridge" or "endpoint" or "deviceState"))
                return ErrorResponse(400, "Invalid scheme for event source");
            if (scheme != "channel" || !_calls.TryGetValue(source[(colon + 1)..], out var call) || !call.Alive)
                return ErrorResponse(422, "Unable to find event source");
            calls.Add(call);
        }

        foreach (var call in calls)
            lock (call.Sync)
                call.Subscribed = true;

        var writer = EventWriter.Rent();
        writer.WriteStartObject();
        writer.WriteString("name", application);
        writer.WriteStartArray("channel_ids");
        foreach (var call in calls) writer.WriteStringValue(call.ChannelId);
        writer.WriteEndArray();
        foreach (var empty in (ReadOnlySpan<string>)["bridge_ids", "endpoint_ids", "device_names", "events_allowed", "events_disallowed"])
        {
            writer.WriteStartArray(empty);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        return new SimulatedResponse(200, System.Text.Encoding.UTF8.GetString(EventWriter.Finish()));
    }
}
