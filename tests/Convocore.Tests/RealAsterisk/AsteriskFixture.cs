using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Convocore.Tests.RealAsterisk;

/// <summary>xunit collection for every test that needs the real Asterisk (one instance per test run: fixed ports).</summary>
[CollectionDefinition(Name)]
public sealed class RealAsteriskCollection : ICollectionFixture<AsteriskFixture>
{
    public const string Name = "RealAsterisk";
}

/// <summary>
/// Starts a real Asterisk with the repo's <c>asterisk/</c> configs (SIP 127.0.0.1:5060, ARI 127.0.0.1:8088) for the
/// tests of the <see cref="RealAsteriskCollection"/>.
/// <para>Where Asterisk comes from, in this order:</para>
/// <list type="number">
/// <item><c>CONVOCORE_ASTERISK_BUNDLE</c>: a folder with the prebuilt bundle's <c>start.sh</c>/<c>stop.sh</c>;</item>
/// <item><c>CONVOCORE_ASTERISK_BIN</c>: an installed <c>asterisk</c> binary (modules/data folders guessed from its
///   prefix, or given with <c>CONVOCORE_ASTERISK_MODDIR</c>/<c>CONVOCORE_ASTERISK_DATADIR</c>);</item>
/// <item>auto-detection: <c>shared/asterisk/start.sh</c> in an ancestor D of the test binaries or beside it
///   (<c>D/shared/asterisk</c>, <c>D/../shared/asterisk</c>).</item>
/// </list>
/// <para><c>sipp</c> comes from <c>CONVOCORE_SIPP</c> or the PATH. Without Asterisk or sipp the tests are skipped
/// (<see cref="SkipReason"/>), except with <c>CI=true</c>: a found Asterisk without sipp is an error there.</para>
/// <para>The work dir is short and under /tmp (control socket path limit ~107 chars; shared/ may be read-only).
/// Set <c>CONVOCORE_ASTERISK_KEEP=1</c> to keep it (logs in <c>log/</c>) after the run.</para>
/// </summary>
public sealed class AsteriskFixture : IAsyncLifetime
{
    public const string AppName = "convocore";
    public const string AriUser = "convocore";
    public const string AriPassword = "convocore";
    public const string SipHost = "127.0.0.1";
    public const int SipPort = 5060;
    public const int AriPort = 8088;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const string LockPath = "/tmp/convocore-asterisk-tests.lock";
    private FileStream? _lock;
    private Process? _process; // only for CONVOCORE_ASTERISK_BIN (the bundle runs under start.sh/stop.sh)
    private HttpClient? _ari;

    /// <summary>http://127.0.0.1:8088/ (ARI lives under <c>ari/</c>).</summary>
    public Uri BaseUrl { get; } = new($"http://{SipHost}:{AriPort}/");

    /// <summary>http://127.0.0.1:8088/ari/</summary>
    public Uri AriUrl => new(BaseUrl, "ari/");

    /// <summary>ws://127.0.0.1:8088/ari/events?app=convocore (add credentials yourself: Basic or api_key).</summary>
    public Uri EventsUrl => new($"ws://{SipHost}:{AriPort}/ari/events?app={AppName}");

    /// <summary>"127.0.0.1:5060" - where sipp sends its INVITEs (UDP).</summary>
    public string SipAddress => $"{SipHost}:{SipPort}";

    /// <summary>Why the tests must be skipped (no Asterisk, no sipp); null when they can run.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Why Asterisk could not be started although it was found (tests fail with it); null when fine.</summary>
    public string? StartError { get; private set; }

    public bool IsRunning => SkipReason is null && StartError is null;

    /// <summary>The repo root (folder holding <c>asterisk/</c> and <c>Convocore.sln</c>), when found.</summary>
    public string? RepoRoot { get; private set; }

    /// <summary>The repo's Asterisk configs (<c>&lt;repo&gt;/asterisk</c>).</summary>
    public string? ConfigDir { get; private set; }

    /// <summary>Folder of the prebuilt bundle (with start.sh), when used.</summary>
    public string? BundleDir { get; private set; }

    /// <summary>Work dir: <c>bundle/</c>, <c>etc/</c> (configs + generated asterisk.conf), <c>log/</c>, <c>run/</c>, <c>var/</c>.</summary>
    public string? WorkDir { get; private set; }

    /// <summary>The asterisk binary used (<c>&lt;work&gt;/bundle/sbin/asterisk</c> for the bundle).</summary>
    public string? AsteriskBinary { get; private set; }

    /// <summary><c>&lt;work&gt;/etc/asterisk.conf</c></summary>
    public string? AsteriskConf => WorkDir is null ? null : Path.Combine(WorkDir, "etc", "asterisk.conf");

    /// <summary>The sipp executable, when found.</summary>
    public string? SippPath { get; private set; }

    /// <summary>Asterisk version reported by <c>GET /ari/asterisk/info</c> (e.g. 23.4.1).</summary>
    public string? AsteriskVersion { get; private set; }

    /// <summary>Skips the calling test (SkippableFact/SkippableTheory) when there is no Asterisk/sipp; fails it when
    /// Asterisk was found but could not start.</summary>
    public void SkipIfUnavailable()
    {
        Skip.If(SkipReason is not null, SkipReason);
        if (StartError is not null) throw new InvalidOperationException(StartError);
    }

    /// <summary>A sipp runner aimed at this Asterisk (call <see cref="SkipIfUnavailable"/> first).</summary>
    public Sipp CreateSipp() => new(SippPath ?? throw new InvalidOperationException(SkipReason ?? "sipp not found"), SipAddress);

    /// <summary>HttpClient with BaseAddress <see cref="AriUrl"/> and Basic auth convocore:convocore; relative URIs like
    /// <c>channels</c> or <c>asterisk/variable?variable=X</c>.</summary>
    public HttpClient Ari => _ari ??= CreateAriClient();

    public HttpClient CreateAriClient()
    {
        var client = new HttpClient { BaseAddress = AriUrl, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = BasicAuth();
        return client;
    }

    public static AuthenticationHeaderValue BasicAuth() =>
        new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{AriUser}:{AriPassword}")));

    /// <summary>Reads a global dialplan variable (<c>GET /ari/asterisk/variable</c>); null when unset/empty.</summary>
    public async Task<string?> GetGlobalAsync(string name, CancellationToken ct = default)
    {
        using var response = await Ari.GetAsync($"asterisk/variable?variable={Uri.EscapeDataString(name)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var value = doc.RootElement.TryGetProperty("value", out var v) ? v.GetString() : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>Sets a global dialplan variable (<c>POST /ari/asterisk/variable</c>), e.g. AGENT_WAIT.</summary>
    public async Task SetGlobalAsync(string name, string value, CancellationToken ct = default)
    {
        using var response = await Ari.PostAsync(
            $"asterisk/variable?variable={Uri.EscapeDataString(name)}&value={Uri.EscapeDataString(value)}", null, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary><c>GET /ari/channels</c>: the ids of all channels Asterisk has right now.</summary>
    public async Task<IReadOnlyList<string>> GetChannelIdsAsync(CancellationToken ct = default)
    {
        using var response = await Ari.GetAsync("channels", ct);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return doc.RootElement.EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
    }

    /// <summary>Waits for a channel that is up in the stub agent (Answer + Wait), i.e. handed off and talking; its id.</summary>
    public async Task<string> WaitForTalkingChannelAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using (var response = await Ari.GetAsync("channels"))
            {
                response.EnsureSuccessStatusCode();
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                foreach (var c in doc.RootElement.EnumerateArray())
                {
                    if (c.GetProperty("state").GetString() == "Up" &&
                        c.GetProperty("dialplan").GetProperty("context").GetString() == "convocore-agent-talk")
                        return c.GetProperty("id").GetString()!;
                }
            }
            if (DateTime.UtcNow >= deadline) throw new TimeoutException("no channel came up in [convocore-agent-talk]");
            await Task.Delay(50);
        }
    }

    /// <summary><c>channel_ids</c> of <c>GET /ari/applications/convocore</c>: the channels in (or subscribed by) our app.</summary>
    public async Task<IReadOnlyList<string>> AppChannelIdsAsync()
    {
        using var response = await Ari.GetAsync($"applications/{AppName}");
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET applications/{AppName}: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("channel_ids").EnumerateArray().Select(c => c.GetString()!).ToList();
    }

    /// <summary>Waits until <c>GET /ari/channels</c> is empty; returns the ids still there at the deadline.</summary>
    public async Task<IReadOnlyList<string>> WaitForNoChannelsAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var ids = await GetChannelIdsAsync(ct);
            if (ids.Count == 0 || DateTime.UtcNow >= deadline) return ids;
            await Task.Delay(100, ct);
        }
    }

    /// <summary>Runs an Asterisk CLI command (<c>asterisk -C &lt;work&gt;/etc/asterisk.conf -rx '...'</c>) and returns its output.</summary>
    public string RunCli(string command, TimeSpan? timeout = null)
    {
        if (AsteriskBinary is null || AsteriskConf is null) throw new InvalidOperationException("Asterisk is not running");
        var result = ProcessRunner.Run(AsteriskBinary, ["-C", AsteriskConf, "-rx", command], timeout ?? TimeSpan.FromSeconds(15));
        if (result.TimedOut) throw new TimeoutException($"asterisk -rx '{command}' timed out");
        return result.Stdout + result.Stderr;
    }

    /// <summary>Stops and starts Asterisk again (same work dir and configs; configs are copied again, so a test may
    /// change <see cref="ConfigDir"/>-derived files in <c>&lt;work&gt;/etc</c> only through the CLI).</summary>
    public async Task RestartAsync()
    {
        if (WorkDir is null) throw new InvalidOperationException(SkipReason ?? StartError ?? "Asterisk is not running");
        _ari?.Dispose();
        _ari = null;
        await StopAsync();
        StartError = null;
        await StartAsync();
        if (StartError is not null) throw new InvalidOperationException(StartError);
    }

    public async Task InitializeAsync()
    {
        RepoRoot = FindRepoRoot();
        ConfigDir = RepoRoot is null ? null : Path.Combine(RepoRoot, "asterisk");
        if (ConfigDir is null || !File.Exists(Path.Combine(ConfigDir, "extensions.conf")))
        {
            SkipReason = "the repo's asterisk/ config folder was not found above " + AppContext.BaseDirectory;
            return;
        }

        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        var bin = Environment.GetEnvironmentVariable("CONVOCORE_ASTERISK_BIN");
        var bundle = Environment.GetEnvironmentVariable("CONVOCORE_ASTERISK_BUNDLE");
        if (!string.IsNullOrWhiteSpace(bundle))
        {
            if (!File.Exists(Path.Combine(bundle, "start.sh")))
            {
                StartError = $"CONVOCORE_ASTERISK_BUNDLE={bundle} has no start.sh";
                return;
            }
            BundleDir = Path.GetFullPath(bundle);
        }
        else if (!string.IsNullOrWhiteSpace(bin))
        {
            if (!File.Exists(bin))
            {
                StartError = $"CONVOCORE_ASTERISK_BIN={bin} does not exist";
                return;
            }
            AsteriskBinary = Path.GetFullPath(bin);
        }
        else
        {
            BundleDir = FindBundle();
            if (BundleDir is null)
            {
                SkipReason = "no Asterisk: set CONVOCORE_ASTERISK_BUNDLE (folder with start.sh) or CONVOCORE_ASTERISK_BIN, " +
                             "or put the bundle at ../shared/asterisk beside the repo";
                return;
            }
        }

        SippPath = FindSipp();
        if (SippPath is null)
        {
            var message = "sipp not found (apt-get install sip-tester, or set CONVOCORE_SIPP)";
            if (ci) StartError = "CI=true and an Asterisk was found, but " + message;
            else SkipReason = message;
            return;
        }

        // One real Asterisk per machine at a time (fixed ports): serialise concurrent test runs.
        _lock = await AcquireLockAsync(TimeSpan.FromMinutes(5));
        if (_lock is null)
        {
            StartError = $"another test run holds {LockPath} for more than 5 minutes";
            return;
        }

        WorkDir = Path.Combine("/tmp", $"cvc-ast-{Environment.ProcessId}");
        if (Directory.Exists(WorkDir)) Directory.Delete(WorkDir, recursive: true);
        Directory.CreateDirectory(WorkDir);
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        _ari?.Dispose();
        _ari = null;
        if (WorkDir is not null)
        {
            await StopAsync();
            if (Environment.GetEnvironmentVariable("CONVOCORE_ASTERISK_KEEP") != "1")
            {
                try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        _lock?.Dispose();
        _lock = null;
    }

    private async Task StartAsync()
    {
        var busy = PortsInUse();
        if (busy is not null)
        {
            StartError = busy + " is already in use: another Asterisk (asterisk/run-local.sh, Aspire, another test run?) " +
                         "or SIP process is running; stop it first";
            return;
        }

        if (BundleDir is not null)
        {
            var start = ProcessRunner.Run("bash",
                [Path.Combine(BundleDir, "start.sh"), "--dir", WorkDir!, "--etc", ConfigDir!, "--timeout", ((int)StartTimeout.TotalSeconds).ToString()],
                StartTimeout + TimeSpan.FromSeconds(30));
            AsteriskBinary = Path.Combine(WorkDir!, "bundle", "sbin", "asterisk");
            if (start.ExitCode != 0 || start.TimedOut)
            {
                StartError = $"start.sh failed (exit {start.ExitCode}{(start.TimedOut ? ", timed out" : "")}):\n{start.Stdout}\n{start.Stderr}";
                ProcessRunner.Run("bash", [Path.Combine(BundleDir, "stop.sh"), "--dir", WorkDir!], TimeSpan.FromSeconds(20));
                return;
            }
        }
        else
        {
            StartInstalledBinary();
            if (StartError is not null) return;
        }

        // ARI must answer (start.sh already waited; the installed binary path did not).
        var deadline = DateTime.UtcNow + StartTimeout;
        string? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true })
            {
                StartError = $"asterisk exited with {_process.ExitCode} during startup; see {WorkDir}/log/console.log";
                return;
            }
            try
            {
                using var response = await Ari.GetAsync("asterisk/info");
                if (response.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    AsteriskVersion = doc.RootElement.GetProperty("system").GetProperty("version").GetString();
                    return;
                }
                lastError = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                lastError = e.Message;
            }
            await Task.Delay(200);
        }
        StartError = $"ARI at {AriUrl} did not answer within {StartTimeout.TotalSeconds}s ({lastError})";
        await StopAsync();
    }

    private void StartInstalledBinary()
    {
        var prefix = Path.GetDirectoryName(Path.GetDirectoryName(AsteriskBinary!))!; // <prefix>/sbin/asterisk
        var modDir = Environment.GetEnvironmentVariable("CONVOCORE_ASTERISK_MODDIR") ?? FirstExisting(
            Path.Combine(prefix, "lib", "asterisk", "modules"),
            Path.Combine(prefix, "lib64", "asterisk", "modules"),
            Path.Combine(prefix, "lib", "x86_64-linux-gnu", "asterisk", "modules"),
            "/usr/lib/asterisk/modules", "/usr/lib/x86_64-linux-gnu/asterisk/modules", "/usr/lib64/asterisk/modules");
        var dataDir = Environment.GetEnvironmentVariable("CONVOCORE_ASTERISK_DATADIR") ?? FirstExisting(
            Path.Combine(prefix, "share", "asterisk"), Path.Combine(prefix, "var", "lib", "asterisk"),
            "/usr/share/asterisk", "/var/lib/asterisk");
        if (modDir is null)
        {
            StartError = $"no modules folder found for {AsteriskBinary}; set CONVOCORE_ASTERISK_MODDIR";
            return;
        }
        dataDir ??= modDir;

        var w = WorkDir!;
        foreach (var d in new[] { "etc", "var/lib", "var/lib/agi-bin", "var/spool", "var/cache", "run", "log" })
            Directory.CreateDirectory(Path.Combine(w, d));
        foreach (var file in Directory.GetFiles(ConfigDir!))
        {
            if (Path.GetFileName(file) != "asterisk.conf") File.Copy(file, Path.Combine(w, "etc", Path.GetFileName(file)), overwrite: true);
        }
        // the same [directories] as the bundle's start.sh writes
        File.WriteAllText(AsteriskConf!, $"""
            [directories]
            astetcdir => {w}/etc
            astmoddir => {modDir}
            astvarlibdir => {w}/var/lib
            astdbdir => {w}/var/lib
            astkeydir => {w}/var/lib
            astdatadir => {dataDir}
            astagidir => {w}/var/lib/agi-bin
            astspooldir => {w}/var/spool
            astrundir => {w}/run
            astlogdir => {w}/log
            astsbindir => {Path.GetDirectoryName(AsteriskBinary)}
            astcachedir => {w}/var/cache

            [options]
            documentation_language = en_US

            """);
        var psi = new ProcessStartInfo(AsteriskBinary!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-C", AsteriskConf!, "-f", "-n" }) psi.ArgumentList.Add(a);
        var log = new StreamWriter(Path.Combine(w, "log", "console.log"), append: true) { AutoFlush = true };
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private async Task StopAsync()
    {
        if (BundleDir is not null && WorkDir is not null)
        {
            ProcessRunner.Run("bash", [Path.Combine(BundleDir, "stop.sh"), "--dir", WorkDir, "--timeout", "10"], TimeSpan.FromSeconds(30));
        }
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    ProcessRunner.Run("kill", ["-TERM", _process.Id.ToString()], TimeSpan.FromSeconds(5));
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    try { await _process.WaitForExitAsync(cts.Token); }
                    catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
                }
            }
            catch (InvalidOperationException) { }
            _process.Dispose();
            _process = null;
        }
    }

    private static string? PortsInUse()
    {
        try
        {
            using var tcp = new TcpListener(IPAddress.Loopback, AriPort);
            tcp.Start();
            tcp.Stop();
        }
        catch (SocketException) { return $"TCP {SipHost}:{AriPort}"; }
        try
        {
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, SipPort));
        }
        catch (SocketException) { return $"UDP {SipHost}:{SipPort}"; }
        return null;
    }

    private static async Task<FileStream?> AcquireLockAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    private static string? FirstExisting(params string[] dirs) => dirs.FirstOrDefault(Directory.Exists);

    /// <summary><c>CONVOCORE_REPO_ROOT</c>, else the folder above the test binaries that holds
    /// <c>asterisk/extensions.conf</c> and a solution or .git.</summary>
    public static string? FindRepoRoot()
    {
        var configured = Environment.GetEnvironmentVariable("CONVOCORE_REPO_ROOT");
        if (!string.IsNullOrWhiteSpace(configured) && File.Exists(Path.Combine(configured, "asterisk", "extensions.conf")))
            return Path.GetFullPath(configured);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "asterisk", "extensions.conf")) &&
                (File.Exists(Path.Combine(d.FullName, "Convocore.sln")) || Directory.Exists(Path.Combine(d.FullName, ".git"))))
            {
                return d.FullName;
            }
        }
        return null;
    }

    /// <summary>The Asterisk bundle in shared/ beside the repository (its start.sh).</summary>
    public static string? FindBundle() => Infrastructure.SharedFolder.Find("asterisk", "start.sh");

    /// <summary><c>CONVOCORE_SIPP</c>, else <c>sipp</c> on the PATH (or /usr/bin, /usr/local/bin).</summary>
    public static string? FindSipp()
    {
        var configured = Environment.GetEnvironmentVariable("CONVOCORE_SIPP");
        if (!string.IsNullOrWhiteSpace(configured)) return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]);
        return path.Select(p => Path.Combine(p, "sipp")).FirstOrDefault(File.Exists);
    }
}
