using System.Text.Json;

namespace Convocore.AriSimulator;

public sealed partial class AriSimulator
{
    /// <summary>
    /// A SIP call arrives on the trunk and runs Stasis(app,args): sends StasisStart (shape of events/pjsip/StasisStart.json)
    /// to the application's WebSocket. With no WebSocket registered the outcome is <see cref="CallOutcomeKind.NotDelivered"/>.
    /// </summary>
    /// <param name="args">Stasis arguments; by default the dialed extension.</param>
    public SimulatedCall PlaceCall(string dialedExtension, string callerNumber, IReadOnlyList<string>? args = null) =>
        PlaceCall(dialedExtension, callerNumber, args, deliverStasisStart: true);

    /// <summary>
    /// A call whose StasisStart is lost with the events WebSocket, as when Asterisk gives up a connection it cannot write to:
    /// the channel enters Stasis, its StasisStart never arrives, and every events WebSocket breaks. Asterisk keeps such a
    /// channel waiting in Stasis.
    /// </summary>
    public SimulatedCall StrandCallInStasis(string dialedExtension, string callerNumber)
    {
        var call = PlaceCall(dialedExtension, callerNumber, null, deliverStasisStart: false);
        DropEventConnections();
        return call;
    }

    private SimulatedCall PlaceCall(string dialedExtension, string callerNumber, IReadOnlyList<string>? args, bool deliverStasisStart,
        string? channelId = null, string? channelName = null)
    {
        var sequence = Interlocked.Increment(ref _lastChannelSequence);
        var call = new SimulatedCall(
            channelId: channelId ?? $"{_channelIdPrefix}.{sequence}",
            channelName: channelName ?? $"PJSIP/trunk-{sequence:x8}",
            protocolId: $"{sequence}-{Environment.ProcessId}@127.0.0.1",
            application: Options.Application,
            dialedExtension, callerNumber, args ?? [dialedExtension], UtcNow);

        if (!_activeSessionByApp.TryGetValue(call.Application, out var session))
        {
            call.Complete(new CallOutcome(CallOutcomeKind.NotDelivered, new Dictionary<string, string>()));
            call.CompleteEnded(0);
            return call;
        }

        _calls[call.ChannelId] = call;
        if (!deliverStasisStart || !IsAllowed(call.Application, "StasisStart")) return call;
        byte[] message;
        lock (call.Sync)
        {
            var writer = EventWriter.Rent();
            EventWriter.StartEvent(writer, "StasisStart"u8, UtcNow);
            writer.WriteStartArray("args"u8);
            foreach (var arg in call.Args) writer.WriteStringValue(arg);
            writer.WriteEndArray();
            EventWriter.WriteChannel(writer, call, Options.ReportedChannelVariables);
            EventWriter.EndEvent(writer, Options.AsteriskId, call.Application);
            message = EventWriter.Finish();
        }
        session.Send(message, call);
        return call;
    }

    /// <summary>
    /// The far end hangs up (cause 16). In Stasis: ChannelHangupRequest, StasisEnd, ChannelDestroyed. After continue:
    /// ChannelDestroyed only if the application subscribed to the channel. Either way, a pushed call-ended hangup handler
    /// sends its StasisStart. False when the channel is already gone.
    /// </summary>
    public bool EndCall(string channelId)
    {
        if (!_calls.TryGetValue(channelId, out var call)) return false;
        CallOutcome? outcome = null;
        lock (call.Sync)
        {
            if (!call.Alive) return false;
            if (call.InStasis)
            {
                SendChannelEvent(call, "ChannelHangupRequest"u8, cause: 16);
                outcome = new CallOutcome(CallOutcomeKind.CallerHungUp, new Dictionary<string, string>(call.VariablesUnsafe), Cause: 16);
            }
            Destroy(call, 16);
        }

        if (outcome is not null) call.Complete(outcome);
        call.CompleteEnded(16);
        return true;
    }

    /// <summary>
    /// Call under the call's lock. Sends StasisEnd if still in Stasis, then runs the call-ended hangup handler if one was
    /// pushed, then ChannelDestroyed if anyone listens.
    /// </summary>
    private void Destroy(SimulatedCall call, int cause)
    {
        var wasInStasis = call.InStasis;
        if (wasInStasis) LeaveStasis(call);
        call.Alive = false;
        if (call.VariablesUnsafe.TryGetValue("CHANNEL(hangup_handler_push)", out var handler)
            && handler.StartsWith(Options.CallEndedContext + ",", StringComparison.Ordinal))
            RunCallEndedHandler(call, cause);
        if (wasInStasis || call.Subscribed)
            SendChannelEvent(call, "ChannelDestroyed"u8, cause);
        _calls.TryRemove(call.ChannelId, out _);
    }

    /// <summary>Stasis(app,call-ended,cause) on the hung-up channel: StasisStart, and StasisEnd at once.</summary>
    private void RunCallEndedHandler(SimulatedCall call, int cause)
    {
        if (!_activeSessionByApp.TryGetValue(call.Application, out var session)) return;
        if (IsAllowed(call.Application, "StasisStart"))
        {
            var writer = EventWriter.Rent();
            EventWriter.StartEvent(writer, "StasisStart"u8, UtcNow);
            writer.WriteStartArray("args"u8);
            writer.WriteStringValue("call-ended");
            writer.WriteStringValue(cause.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteEndArray();
            EventWriter.WriteChannel(writer, call, Options.ReportedChannelVariables);
            EventWriter.EndEvent(writer, Options.AsteriskId, call.Application);
            session.Send(EventWriter.Finish());
        }
        SendChannelEvent(call, "StasisEnd"u8, cause: null);
    }

    /// <summary>Call under the call's lock.</summary>
    private void LeaveStasis(SimulatedCall call)
    {
        SendChannelEvent(call, "StasisEnd"u8, cause: null);
        call.InStasis = false;
    }

    private void ScheduleEnd(SimulatedCall call)
    {
        if (Options.ContinuedCallDuration is not { } duration) return;
        _ = Task.Delay(duration).ContinueWith(
            static (_, state) =>
            {
                var (simulator, channelId) = ((AriSimulator, string))state!;
                simulator.EndCall(channelId);
            },
            (this, call.ChannelId), TaskScheduler.Default);
    }

    /// <summary>Call under the call's lock, so the snapshot is consistent and events keep their order.</summary>
    private void SendChannelEvent(SimulatedCall call, ReadOnlySpan<byte> type, int? cause)
    {
        if (!_activeSessionByApp.TryGetValue(call.Application, out var session)) return;
        if (!_eventFilters.IsEmpty && !IsAllowed(call.Application, System.Text.Encoding.UTF8.GetString(type))) return;

        var writer = EventWriter.Rent();
        EventWriter.StartEvent(writer, type, UtcNow);
        if (cause is { } code)
        {
            writer.WriteNumber("cause"u8, code);
            if (type.SequenceEqual("ChannelDestroyed"u8)) writer.WriteString("cause_txt"u8, HangupCauses.Text(code));
        }
        EventWriter.WriteChannel(writer, call, Options.ReportedChannelVariables);
        EventWriter.EndEvent(writer, Options.AsteriskId, call.Application);
        session.Send(EventWriter.Finish());
    }

    private void WriteRestResponse(Utf8JsonWriter writer, string application, RestRequest request, SimulatedResponse response)
    {
        EventWriter.StartEvent(writer, "RESTResponse"u8, UtcNow);
        writer.WriteString("transaction_id"u8, request.TransactionId);
        writer.WriteString("request_id"u8, request.RequestId);
        writer.WriteNumber("status_code"u8, response.StatusCode);
        writer.WriteString("reason_phrase"u8, Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(response.StatusCode));
        writer.WriteString("uri"u8, request.Uri);
        if (response.Body is not null)
        {
            writer.WriteString("content_type"u8, "application/json"u8);
            writer.WriteString("message_body"u8, response.Body);
        }
        EventWriter.EndEvent(writer, Options.AsteriskId, application);
    }
}
