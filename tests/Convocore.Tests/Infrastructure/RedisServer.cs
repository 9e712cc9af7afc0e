using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Convocore.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port with its own data folder and an append-only file written on
/// every command, as the AppHost runs it. Can be killed and started again on the same port and data.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("convocore-redis-").FullName;
    private Process? process;

    public int Port { get; } = FreePort();

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer();
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Kills the server without warning (a crash) and starts it again from its append-only file.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await StartProcessAsync();
    }

    /// <summary>Kills the server without warning (a crash); <see cref="StartAgainAsync"/> brings it back from its append-only file.</summary>
    public void Crash() => Kill();

    public Task StartAgainAsync() => StartProcessAsync();

    /// <summary>
    /// Freezes the server (SIGSTOP): connections stay open and commands are sent, but nothing answers until
    /// <see cref="Resume"/> (SIGCONT), as when Redis hangs on a slow disk or its machine stalls.
    /// </summary>
    public void Pause() => PosixSignal.Send(Running.Id, PosixSignal.Stop);

    public void Resume() => PosixSignal.Send(Running.Id, PosixSignal.Continue);

    private Process Running => process ?? throw new InvalidOperationException("redis-server is not running");

    private async Task StartProcessAsync()
    {
        var executable = Environment.GetEnvironmentVariable("CONVOCORE_REDIS_SERVER") ?? "redis-server";
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", dataDirectory,
                     "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no" })
        {
            start.ArgumentList.Add(arg);
        }
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed: run ./test.sh, or apt-get install redis-server", ex);
        }
        // A test run that ends without disposing its fixtures must not leave servers behind.
        var started = process;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { if (!started.HasExited) started.Kill(); } catch (InvalidOperationException) { } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with {process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                await using var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[64];
                var read = await stream.ReadAsync(buffer);
                // While it replays the append-only file, redis answers -LOADING.
                if (read > 0 && buffer[0] == (byte)'+') return;
            }
            catch (SocketException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("redis-server did not answer within 15 s");
    }

    private void Kill()
    {
        if (process is { HasExited: false })
        {
            // A stopped process dies of SIGKILL all the same; SIGCONT first only spares it a zombie's wait.
            PosixSignal.Send(process.Id, PosixSignal.Continue);
            process.Kill();
            process.WaitForExit();
        }
        process?.Dispose();
        process = null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
