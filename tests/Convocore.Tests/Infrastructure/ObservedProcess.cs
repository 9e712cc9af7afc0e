using System.Diagnostics;
using System.Text;

namespace Convocore.Tests.Infrastructure;

/// <summary>
/// A process a test started (a silo, a web app): its output kept for failure messages, killed (SIGKILL) or stopped
/// (SIGTERM) on the test's word, and killed when the test run ends whatever happened.
/// </summary>
internal sealed class ObservedProcess
{
    private readonly Process process;
    private readonly StringBuilder log = new();

    /// <param name="assembly">A .NET program, run with <c>dotnet</c>.</param>
    public ObservedProcess(string assembly, IEnumerable<KeyValuePair<string, string>> environment)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public int Id => process.Id;
    public string Log { get { lock (log) return log.ToString(); } }
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    /// <summary>SIGKILL: nothing in the process gets to say goodbye, open connections break without a close.</summary>
    public void Kill()
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    /// <summary>SIGTERM, as a process manager stops a service: the host stops gracefully.</summary>
    public void Terminate() => PosixSignal.Send(process.Id, PosixSignal.Terminate);

    public Task WaitForExitAsync(TimeSpan timeout) => process.WaitForExitAsync().WaitAsync(timeout);

    private void Append(string? line)
    {
        if (line is null) return;
        lock (log) log.AppendLine(line);
    }
}
