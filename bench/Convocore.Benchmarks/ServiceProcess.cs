using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Convocore.Benchmarks;

/// <summary>
/// Convocore.Silo or Convocore.Web run as its own process, as the AppHost runs it, from the build of the same configuration
/// as this tool (Release for the figures in BENCHMARKS.md; the Debug build of the solution in the soak test).
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder log = new();

    private ServiceProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public string Log { get { lock (log) return log.ToString(); } }

    public long WorkingSetBytes { get { process.Refresh(); return process.WorkingSet64; } }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public static ServiceProcess Start(string project, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Assembly(project));
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return new ServiceProcess(Process.Start(start)!);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    private static string Assembly(string project)
    {
        // This tool runs from bench/Convocore.Benchmarks/bin/<configuration>/<framework>.
        var own = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (own.Name, own.Parent!.Name);
        for (var directory = own; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, project, "bin", configuration, framework, project + ".dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{project}.dll ({configuration}): run dotnet build -c {configuration} bench/Convocore.Benchmarks first");
    }
}
