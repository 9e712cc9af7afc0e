using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Convocore.AriSimulator;

/// <summary>
/// Writes events with the property order and shapes Asterisk 23.4.1 produced (shared/asterisk-ari/events/pjsip).
/// One writer per thread keeps the hot path to a single allocation: the finished message.
/// </summary>
internal sealed class EventWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic] private static EventWriter? _current;

    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private readonly Utf8JsonWriter _writer;

    private EventWriter() => _writer = new Utf8JsonWriter(_buffer, Options);

    /// <summary>The calling thread's writer, reset; finish with <see cref="Finish"/> before any await.</summary>
    public static Utf8JsonWriter Rent()
    {
        var current = _current ??= new EventWriter();
        current._buffer.ResetWrittenCount();
        current._writer.Reset(current._buffer);
        return current._writer;
    }

    public static byte[] Finish()
    {
        var current = _current!;
        current._writer.Flush();
        return current._buffer.WrittenSpan.ToArray();
    }

    public static void WriteTimestamp(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTime utc)
    {
        Span<byte> text = stackalloc byte[32];
        utc.TryFormat(text, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture);
        "+0000"u8.CopyTo(text[written..]);
        writer.WriteString(name, text[..(written + 5)]);
    }

    /// <summary>Writes "type" and "timestamp", which every event starts with.</summary>
    public static void StartEvent(Utf8JsonWriter writer, ReadOnlySpan<byte> type, DateTime utcNow)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, type);
        WriteTimestamp(writer, "timestamp"u8, utcNow);
    }

    /// <summary>Writes "asterisk_id" and "application", which every event ends with.</summary>
    public static void EndEvent(Utf8JsonWriter writer, string asteriskId, string application)
    {
        writer.WriteString("asterisk_id"u8, asteriskId);
        writer.WriteString("application"u8, application);
        writer.WriteEndObject();
    }

    /// <summary>The Channel model; call under the call's lock.</summary>
    public static void WriteChannel(Utf8JsonWriter writer, SimulatedCall call, IReadOnlyList<string> reportedVariables)
    {
        writer.WriteStartObject("channel"u8);
        WriteChannelProperties(writer, call, reportedVariables);
        writer.WriteEndObject();
    }

    public static void WriteChannelProperties(Utf8JsonWriter writer, SimulatedCall call, IReadOnlyList<string> reportedVariables)
    {
        writer.WriteString("id"u8, call.ChannelId);
        writer.WriteString("name"u8, call.ChannelName);
        writer.WriteString("state"u8, call.State);
        writer.WriteString("protocol_id"u8, call.ProtocolId);
        writer.WriteStartObject("caller"u8);
        writer.WriteString("name"u8, "");
        writer.WriteString("number"u8, call.CallerNumber);
        writer.WriteEndObject();
        writer.WriteStartObject("connected"u8);
        writer.WriteString("name"u8, "");
        writer.WriteString("number"u8, "");
        writer.WriteEndObject();
        writer.WriteString("accountcode"u8, "");
        writer.WriteStartObject("dialplan"u8);
        writer.WriteString("context"u8, call.Context);
        writer.WriteString("exten"u8, call.Extension);
        writer.WriteNumber("priority"u8, call.Priority);
        if (call.InStasis)
        {
            writer.WriteString("app_name"u8, "Stasis"u8);
            writer.WritePropertyName("app_data"u8);
            writer.WriteStringValue(call.Application + "," + string.Join(',', call.Args));
        }
        else
        {
            writer.WriteString("app_name"u8, ""u8);
            writer.WriteString("app_data"u8, ""u8);
        }
        writer.WriteEndObject();
        WriteTimestamp(writer, "creationtime"u8, call.CreatedUtc);
        writer.WriteString("language"u8, "en"u8);
        if (reportedVariables.Count > 0)
        {
            writer.WriteStartObject("channelvars"u8);
            foreach (var name in reportedVariables)
                writer.WriteString(name, call.VariablesUnsafe.GetValueOrDefault(name, ""));
            writer.WriteEndObject();
        }
    }
}
