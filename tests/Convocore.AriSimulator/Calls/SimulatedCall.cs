using System.Diagnostics;

namespace Convocore.AriSimulator;

/// <summary>One incoming call: a PJSIP channel that entered Stasis, and what the application did with it.</summary>
public sealed class SimulatedCall
{
    private readonly TaskCompletionSource<CallOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ReceivedCommand> _commands = [];
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    private long _stasisStartSent;
    private long _firstCommand;

    internal SimulatedCall(string channelId, string channelName, string protocolId, string application,
        string dialedExtension, string callerNumber, IReadOnlyList<string> args, DateTime createdUtc)
    {
        ChannelId = channelId;
        ChannelName = channelName;
        ProtocolId = protocolId;
        Application = application;
        DialedExtension = dialedExtension;
        CallerNumber = callerNumber;
        Args = args;
        CreatedUtc = createdUtc;
        Context = "from-trunk";
        Extension = dialedExtension;
    }

    public string ChannelId { get; }
    public string ChannelName { get; }
    public string ProtocolId { get; }
    public string Application { get; }
    public string DialedExtension { get; }
    public string CallerNumber { get; }
    public IReadOnlyList<string> Args { get; }
    internal DateTime CreatedUtc { get; }

    /// <summary>Completes when the application continued or hung up the channel (or the caller hung up first).</summary>
    public Task<CallOutcome> Outcome => _outcome.Task;

    /// <summary>Completes with the Q.850 cause when the channel is destroyed.</summary>
    public Task<int> Ended => _ended.Task;

    /// <summary>Stopwatch timestamp taken just before StasisStart was written to the WebSocket; 0 until then.</summary>
    public long StasisStartSentTimestamp => Volatile.Read(ref _stasisStartSent);

    /// <summary>Stopwatch timestamp of the first command for this channel; 0 until then.</summary>
    public long FirstCommandTimestamp => Volatile.Read(ref _firstCommand);

    /// <summary>StasisStart written → first command received, once both happened.</summary>
    public TimeSpan? FirstCommandLatency =>
        FirstCommandTimestamp != 0 && StasisStartSentTimestamp != 0
            ? Stopwatch.GetElapsedTime(StasisStartSentTimestamp, FirstCommandTimestamp)
            : null;

    public IReadOnlyList<ReceivedCommand> Commands
    {
        get { lock (_commands) return _commands.ToArray(); }
    }

    public IReadOnlyDictionary<string, string> Variables
    {
        get { lock (_commands) return new Dictionary<string, string>(_variables); }
    }

    // Channel state below is guarded by Sync; events are built while holding it so they carry a consistent snapshot.
    internal object Sync => _commands;
    internal bool InStasis { get; set; } = true;
    internal bool Alive { get; set; } = true;
    internal bool Subscribed { get; set; }
    internal string State { get; set; } = "Ring";
    internal string Context { get; set; }
    internal string Extension { get; set; }
    internal long Priority { get; set; } = 2;

    internal Dictionary<string, string> VariablesUnsafe => _variables;

    internal void MarkStasisStartSent() => Interlocked.CompareExchange(ref _stasisStartSent, Stopwatch.GetTimestamp(), 0);

    internal void Record(ReceivedCommand command)
    {
        Interlocked.CompareExchange(ref _firstCommand, command.Timestamp, 0);
        lock (_commands) _commands.Add(command);
    }

    internal void SetVariable(string name, string value)
    {
        lock (_commands) _variables[name] = value;
    }

    internal void Complete(CallOutcome outcome) => _outcome.TrySetResult(outcome);

    internal void CompleteEnded(int cause) => _ended.TrySetResult(cause);
}
