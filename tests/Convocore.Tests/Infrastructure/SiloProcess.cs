namespace Convocore.Tests.Infrastructure;

/// <summary>
/// A real silo process (Convocore.Silo as built beside these tests), configured the way the AppHost configures it, so a
/// test can kill it (SIGKILL), stop it (SIGTERM) and watch whether it keeps running.
/// </summary>
internal sealed class SiloProcess
{
    private readonly ObservedProcess process;

    private SiloProcess(string name, int siloPort, ObservedProcess process)
    {
        Name = name;
        SiloPort = siloPort;
        this.process = process;
    }

    public string Name { get; }
    public int SiloPort { get; }
    public string Log => process.Log;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    /// <param name="settings">More configuration, environment variable form (<c>Convocore__…</c>).</param>
    public static SiloProcess Start(RedisServer redis, AriSimulator.AriSimulator asterisk, string name,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var siloPort = RedisServer.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Orleans__Endpoints__SiloPort"] = siloPort.ToString(),
            ["Orleans__Endpoints__GatewayPort"] = RedisServer.FreePort().ToString(),
            ["Convocore__Asterisk__Servers__0__Name"] = "sim-na",
            ["Convocore__Asterisk__Servers__0__Region"] = "NA",
            ["Convocore__Asterisk__Servers__0__AriUrl"] = asterisk.BaseUrl.ToString(),
            ["Convocore__Asterisk__Servers__0__Username"] = "convocore",
            ["Convocore__Asterisk__Servers__0__Password"] = "ari-secret",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Convocore"] = "Information",
        }.Concat(settings ?? new Dictionary<string, string>());
        return new SiloProcess(name, siloPort, new ObservedProcess(SiloAssembly(), environment));
    }

    /// <summary>SIGKILL: nothing in the silo gets to say goodbye.</summary>
    public void Kill() => process.Kill();

    /// <summary>SIGTERM, as a process manager stops a service: the host stops gracefully.</summary>
    public void Terminate() => process.Terminate();

    public Task WaitForExitAsync(TimeSpan timeout) => process.WaitForExitAsync(timeout);

    /// <summary>The silo as built beside these tests: Convocore.Silo/bin/&lt;configuration&gt;/net10.0.</summary>
    private static string SiloAssembly() => BuiltAssembly("Convocore.Silo");

    /// <summary>A project of the solution as built beside these tests: &lt;project&gt;/bin/&lt;configuration&gt;/&lt;framework&gt;.</summary>
    public static string BuiltAssembly(string project)
    {
        var testBinaries = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (testBinaries.Name, testBinaries.Parent!.Name);
        for (var directory = testBinaries; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, project, "bin", configuration, framework, project + ".dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{project}.dll: build the solution first");
    }
}
