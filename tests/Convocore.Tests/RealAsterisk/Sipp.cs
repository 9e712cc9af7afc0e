using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Convocore.Tests.RealAsterisk;

/// <summary>What to dial and how (one sipp run).</summary>
public sealed record SippOptions
{
    /// <summary>Request-URI user part (the DID), e.g. "+15551234567".</summary>
    public required string Dialed { get; init; }

    /// <summary>Calls to place in total (-m).</summary>
    public int Calls { get; init; } = 1;

    /// <summary>New calls per second (-r).</summary>
    public double RatePerSecond { get; init; } = 10;

    /// <summary>Maximum simultaneous calls (-l).</summary>
    public int MaxConcurrent { get; init; } = 10;

    /// <summary>How long an answered call talks before the UAC sends BYE (-d). The callee may hang up first
    /// (the stub agent hangs up after AGENT_WAIT seconds, default 2).</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Hard limit for the whole run: sipp's own -timeout, and the process is killed a little later.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Caller number in the From header.</summary>
    public string Caller { get; init; } = "15550000000";
}

/// <summary>One call of a sipp run, from sipp's message trace and the scenario's log lines.</summary>
/// <param name="FinalStatus">final response to the INVITE (200, 404, 503, ...); null when none came</param>
/// <param name="Ended">"remote_bye" (Asterisk hung up), "local_bye" (sipp hung up after the hold time),
/// "rejected" (final response was not 200), or null (the call did not finish)</param>
/// <param name="ResponseTime">INVITE sent → final response received</param>
public sealed record SippCall(string CallId, int? FinalStatus, string? ReasonPhrase, string? Ended, TimeSpan? ResponseTime)
{
    public bool Answered => FinalStatus == 200;
    public bool Completed => Ended is not null;
}

/// <summary>Result of a sipp run.</summary>
/// <param name="Successful">sipp's SuccessfulCall(C): calls that ran through the scenario (a 404 handled by the
/// scenario counts as successful there; look at <see cref="SippCall.FinalStatus"/>)</param>
/// <param name="Failed">sipp's FailedCall(C) (timeouts, unexpected messages, ...)</param>
/// <param name="AverageResponseTime">sipp's ResponseTime1(C), when reported</param>
public sealed record SippResult(
    int ExitCode,
    bool TimedOut,
    IReadOnlyList<SippCall> Calls,
    int Successful,
    int Failed,
    TimeSpan? AverageResponseTime,
    string Output,
    string Errors,
    string MessageTrace,
    string WorkDir)
{
    public int Answered => Calls.Count(c => c.Answered);

    /// <summary>Counts of final status codes (null key: no final response).</summary>
    public IReadOnlyDictionary<int, int> StatusCounts =>
        Calls.Where(c => c.FinalStatus is not null).GroupBy(c => c.FinalStatus!.Value).ToDictionary(g => g.Key, g => g.Count());

    public override string ToString() =>
        $"sipp exit {ExitCode}{(TimedOut ? " (killed on timeout)" : "")}, successful {Successful}, failed {Failed}, " +
        $"calls: [{string.Join(", ", Calls.Select(c => $"{c.FinalStatus?.ToString() ?? "-"}/{c.Ended ?? "unfinished"}"))}]" +
        (Errors.Length > 0 ? $"\nerrors:\n{Errors}" : "") +
        (Calls.Count <= 5 && MessageTrace.Length > 0 ? $"\nmessages:\n{MessageTrace}" : "") +
        $"\n(work dir {WorkDir}{(Directory.Exists(WorkDir) ? "" : ", deleted; CONVOCORE_SIPP_KEEP=1 keeps it")})";
}

/// <summary>
/// Runs sipp as a UAC over UDP from a free local port against Asterisk (default 127.0.0.1:5060) with the scenario
/// <c>Scenarios/convocore-uac.xml</c>. Never hangs: sipp gets <c>-timeout</c> and the process is killed after it.
/// </summary>
public sealed class Sipp(string sippPath, string target = "127.0.0.1:5060")
{
    public const string ScenarioFileName = "convocore-uac.xml";

    public string SippPath { get; } = sippPath;
    public string Target { get; } = target;

    /// <summary>Places <paramref name="calls"/> calls to <paramref name="dialed"/>.</summary>
    public Task<SippResult> CallAsync(string dialed, int calls = 1, TimeSpan? hold = null, TimeSpan? timeout = null,
        CancellationToken ct = default) =>
        RunAsync(new SippOptions
        {
            Dialed = dialed,
            Calls = calls,
            Hold = hold ?? TimeSpan.FromSeconds(10),
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        }, ct);

    public async Task<SippResult> RunAsync(SippOptions options, CancellationToken ct = default)
    {
        var scenario = FindScenario() ?? throw new FileNotFoundException(
            $"{ScenarioFileName} not found in the output folder or under tests/Convocore.Tests/RealAsterisk/Scenarios");
        var work = Path.Combine(Path.GetTempPath(), "cvc-sipp-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(work);
        var sipPort = FreeUdpPort();
        var mediaPort = FreeUdpPort(even: true);
        var timeoutSeconds = Math.Max(1, (int)Math.Ceiling(options.Timeout.TotalSeconds));
        string[] args =
        [
            Target,
            "-sf", scenario,
            "-s", options.Dialed,
            "-i", "127.0.0.1",
            "-t", "u1",
            "-p", sipPort.ToString(CultureInfo.InvariantCulture),
            "-mp", mediaPort.ToString(CultureInfo.InvariantCulture),
            "-m", options.Calls.ToString(CultureInfo.InvariantCulture),
            "-r", options.RatePerSecond.ToString(CultureInfo.InvariantCulture),
            "-l", options.MaxConcurrent.ToString(CultureInfo.InvariantCulture),
            "-d", ((int)options.Hold.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "-set", "caller", options.Caller,
            "-nostdin",
            "-timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture), "-timeout_error",
            "-recv_timeout", ((int)options.Timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "-trace_stat", "-stf", Path.Combine(work, "stat.csv"),
            "-trace_logs", "-log_file", Path.Combine(work, "calls.log"),
            "-trace_shortmsg", "-shortmessage_file", Path.Combine(work, "messages.log"),
            "-trace_err", "-error_file", Path.Combine(work, "errors.log"),
        ];
        var run = await ProcessRunner.RunAsync(SippPath, args, options.Timeout + TimeSpan.FromSeconds(10), work, ct);

        var calls = ParseCalls(Path.Combine(work, "messages.log"), Path.Combine(work, "calls.log"));
        var (successful, failed, avg) = ParseStats(Path.Combine(work, "stat.csv"));
        var errors = ReadIfExists(Path.Combine(work, "errors.log"));
        var trace = ReadIfExists(Path.Combine(work, "messages.log"));
        if (Environment.GetEnvironmentVariable("CONVOCORE_SIPP_KEEP") != "1")
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return new SippResult(run.ExitCode, run.TimedOut, calls, successful, failed, avg,
            run.Stdout + run.Stderr, errors, trace, work);
    }

    private static string ReadIfExists(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    /// <summary>The scenario beside the test binaries (RealAsterisk/Scenarios, if the project copies it) or in the source tree.</summary>
    public static string? FindScenario()
    {
        var output = Path.Combine(AppContext.BaseDirectory, "RealAsterisk", "Scenarios", ScenarioFileName);
        if (File.Exists(output)) return output;
        var roots = new List<string>();
        if (AsteriskFixture.FindRepoRoot() is { } repo) roots.Add(repo);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent) roots.Add(d.FullName);
        foreach (var root in roots)
        {
            var source = Path.Combine(root, "tests", "Convocore.Tests", "RealAsterisk", "Scenarios", ScenarioFileName);
            if (File.Exists(source)) return source;
        }
        return null;
    }

    // messages.log (-trace_shortmsg), tab separated:
    //   date  time  epoch  S|R  call-id  "CSeq:1 INVITE"  first line
    // calls.log (scenario <log>): "CALL <n> <call-id> FINAL <code>" / "CALL <n> <call-id> ENDED <how> [code]"
    private static List<SippCall> ParseCalls(string messagesLog, string callsLog)
    {
        var order = new List<string>();
        var sent = new Dictionary<string, double>();
        var final = new Dictionary<string, (int Code, string Reason, double At)>();
        if (File.Exists(messagesLog))
        {
            foreach (var line in File.ReadLines(messagesLog))
            {
                var f = line.Split('\t');
                if (f.Length < 7) continue;
                var callId = f[4];
                if (!double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var at)) continue;
                if (f[3] == "S" && f[6].StartsWith("INVITE ", StringComparison.Ordinal) && !sent.ContainsKey(callId))
                {
                    sent[callId] = at;
                    order.Add(callId);
                }
                else if (f[3] == "R" && f[5].EndsWith(" INVITE", StringComparison.Ordinal) && f[6].StartsWith("SIP/2.0 ", StringComparison.Ordinal))
                {
                    var parts = f[6].Split(' ', 3);
                    if (int.TryParse(parts[1], out var code) && code >= 200 && !final.ContainsKey(callId))
                        final[callId] = (code, parts.Length > 2 ? parts[2] : "", at);
                }
            }
        }
        var ended = new Dictionary<string, string>();
        if (File.Exists(callsLog))
        {
            foreach (var line in File.ReadLines(callsLog))
            {
                var f = line.Trim().Split(' ');
                // CALL n callid ENDED how [code]
                if (f.Length >= 5 && f[0] == "CALL" && f[3] == "ENDED") ended[f[2]] = f[4];
            }
        }
        return order.Select(id =>
        {
            final.TryGetValue(id, out var fin);
            var has = final.ContainsKey(id);
            return new SippCall(id, has ? fin.Code : null, has ? fin.Reason : null, ended.GetValueOrDefault(id),
                has ? TimeSpan.FromSeconds(fin.At - sent[id]) : null);
        }).ToList();
    }

    private static (int Successful, int Failed, TimeSpan? Average) ParseStats(string statCsv)
    {
        if (!File.Exists(statCsv)) return (0, 0, null);
        var lines = File.ReadAllLines(statCsv).Where(l => l.Length > 0).ToArray();
        if (lines.Length < 2) return (0, 0, null);
        var header = lines[0].Split(';');
        var last = lines[^1].Split(';');
        string? Get(string name)
        {
            var i = Array.IndexOf(header, name);
            return i >= 0 && i < last.Length ? last[i] : null;
        }
        int.TryParse(Get("SuccessfulCall(C)"), out var ok);
        int.TryParse(Get("FailedCall(C)"), out var failed);
        return (ok, failed, ParseSippTime(Get("ResponseTime1(C)")));
    }

    // sipp prints times as HH:MM:SS:mmmuuu (e.g. 00:00:00:003219)
    private static TimeSpan? ParseSippTime(string? s)
    {
        if (string.IsNullOrEmpty(s)) return null;
        var p = s.Split(':');
        if (p.Length != 4) return null;
        if (!int.TryParse(p[0], out var h) || !int.TryParse(p[1], out var m) || !int.TryParse(p[2], out var sec) ||
            !long.TryParse(p[3], out var micro)) return null;
        return new TimeSpan(0, h, m, sec) + TimeSpan.FromTicks(micro * 10);
    }

    private static int FreeUdpPort(bool even = false)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
            if (!even || port % 2 == 0) return port;
        }
        throw new InvalidOperationException("no free UDP port");
    }
}
