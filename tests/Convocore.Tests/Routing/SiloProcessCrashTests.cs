using System.Diagnostics;
using System.Text;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Convocore.Tests.Routing;

/// <summary>
/// Two real silo processes, as the AppHost runs them, and the one holding the ARI connection killed with SIGKILL:
/// nothing in it gets to say goodbye, so the takeover rests on Orleans' failure detection alone.
/// </summary>
public sealed class SiloProcessCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Application = "convocore";
    private readonly AriSimulator.AriSimulator asterisk = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });
    private readonly List<SiloProcess> silos = [];
    private RedisServer redis = null!;
    private IHost? client;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        await asterisk.StartAsync();
    }

    [Fact]
    public async Task When_the_silo_process_holding_the_connection_is_killed_another_takes_it_over_within_5_seconds()
    {
        silos.Add(SiloProcess.Start(redis, asterisk, "a"));
        silos.Add(SiloProcess.Start(redis, asterisk, "b"));
        await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(60));
        var cluster = await ConnectClientAsync();
        var management = cluster.GetGrain<IManagementGrain>(0);
        await Numbers.Eventually.True(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "both silos active", 60);
        var owner = (await cluster.GetGrain<IAsteriskConnectionsGrain>(0).GetAll()).Single().Silo;
        var victim = silos.Single(s => owner.Contains($":{s.SiloPort}:"));

        var clock = Stopwatch.StartNew();
        victim.Kill();
        await asterisk.WaitForEventConnectionCountAsync(Application, 0).WaitAsync(TimeSpan.FromSeconds(10));
        await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(60));
        var takeover = clock.Elapsed;
        output.WriteLine($"takeover after {takeover.TotalMilliseconds:F0} ms");

        var outcome = await asterisk.PlaceCall("+15550009999", "+15550001111").Outcome.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal("unallocated", outcome.HangupReason);
        Assert.True(takeover < TimeSpan.FromSeconds(5), $"the connection came back after {takeover.TotalSeconds:F1} s");
    }

    private async Task<IClusterClient> ConnectClientAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(orleans => orleans
            .UseRedisClustering(redis.ConnectionString)
            .Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("convocore", "convocore")));
        client = builder.Build();
        await client.StartAsync();
        return client.Services.GetRequiredService<IClusterClient>();
    }

    public async Task DisposeAsync()
    {
        if (client is not null)
        {
            try { await client.StopAsync(TimeSpan.FromSeconds(5)); } catch (OperationCanceledException) { }
            client.Dispose();
        }
        foreach (var silo in silos)
        {
            silo.Kill();
            output.WriteLine($"--- silo {silo.Name} ---\n{silo.Log}");
        }
        await asterisk.DisposeAsync();
        await redis.DisposeAsync();
    }

    private sealed class SiloProcess
    {
        private readonly Process process;
        private readonly StringBuilder log = new();

        private SiloProcess(string name, int siloPort, Process process)
        {
            Name = name;
            SiloPort = siloPort;
            this.process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
        }

        public string Name { get; }
        public int SiloPort { get; }
        public string Log { get { lock (log) return log.ToString(); } }

        public static SiloProcess Start(RedisServer redis, AriSimulator.AriSimulator asterisk, string name)
        {
            var siloPort = RedisServer.FreePort();
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(SiloAssembly());
            foreach (var (key, value) in new Dictionary<string, string>
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
                     })
            {
                start.Environment[key] = value;
            }
            return new SiloProcess(name, siloPort, Process.Start(start)!);
        }

        public void Kill()
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (log) log.AppendLine(line);
        }

        /// <summary>The silo as built beside these tests: Convocore.Silo/bin/&lt;configuration&gt;/net10.0.</summary>
        private static string SiloAssembly()
        {
            var testBinaries = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var (framework, configuration) = (testBinaries.Name, testBinaries.Parent!.Name);
            for (var directory = testBinaries; directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "Convocore.Silo", "bin", configuration, framework, "Convocore.Silo.dll");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("Convocore.Silo.dll: build the solution first");
        }
    }
}
