using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Convocore.Benchmarks;

/// <summary>A throwaway redis-server on a free loopback port, configured as the AppHost runs it.</summary>
internal sealed class LocalRedis : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("convocore-bench-redis-").FullName;
    private readonly Process process;

    public LocalRedis(bool durable = true)
    {
        Port = ServiceProcess.FreePort();
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", directory, "--appendonly", durable ? "yes" : "no", "--appendfsync", "always", "--save", "" })
            start.ArgumentList.Add(arg);
        process = Process.Start(start)!;
        process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public void Dispose()
    {
        if (!process.HasExited) process.Kill();
        process.WaitForExit();
        Directory.Delete(directory, recursive: true);
    }
}
