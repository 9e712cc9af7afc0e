using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;

/// <summary>
/// Redis as a container where a container runtime answers, else as a local `redis-server` process, so the
/// whole system starts on a machine without Docker. Either way every write goes to an append-only file that is
/// fsynced before Redis answers: the local one's in .data/redis, the container's in its data volume.
/// </summary>
internal static class LocalRedis
{
    public static IResourceBuilder<IResourceWithConnectionString> AddConvocoreRedis(this IDistributedApplicationBuilder builder, string name)
    {
        var mode = builder.Configuration["Convocore:Redis:Mode"] ?? (ContainerRuntimeAnswers() ? "container" : "process");
        if (mode.Equals("container", StringComparison.OrdinalIgnoreCase))
        {
            return builder.AddRedis(name).WithDataVolume().WithAppendOnlyFile();
        }

        var port = int.TryParse(builder.Configuration["Convocore:Redis:Port"], out var p) ? p : 6390;
        var dataDirectory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".data", "redis"));
        Directory.CreateDirectory(dataDirectory);

        var resource = new LocalRedisResource(name, builder.Configuration["Convocore:Redis:Executable"] ?? "redis-server", dataDirectory);
        return builder.AddResource(resource)
            .WithEndpoint(port: port, targetPort: port, name: "tcp", scheme: "tcp", isProxied: false)
            .WithArgs(
                "--port", port.ToString(),
                "--bind", "127.0.0.1",
                "--dir", dataDirectory,
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--protected-mode", "yes");
    }

    /// <summary>
    /// Aspire's Redis container keeps only periodic snapshots (WithDataVolume: `--save 60 1`), which may lose the last
    /// minute of acknowledged changes. AddRedis starts the server as `/bin/sh -c "redis-server …"` (so the password stays
    /// in an environment variable); the append-only options go at the end of that command.
    /// </summary>
    private static IResourceBuilder<RedisResource> WithAppendOnlyFile(this IResourceBuilder<RedisResource> redis) =>
        redis.WithArgs(context =>
        {
            var command = context.Args.IndexOf("-c") + 1;
            if (command == 0 || command >= context.Args.Count || context.Args[command] is not string line || !line.StartsWith("redis-server", StringComparison.Ordinal))
                throw new InvalidOperationException("The Redis container is not started with `/bin/sh -c \"redis-server …\"` any more: set its append-only options another way");
            context.Args[command] = line + " --appendonly yes --appendfsync always";
            return Task.CompletedTask;
        });

    private static bool ContainerRuntimeAnswers()
    {
        foreach (var runtime in new[] { "docker", "podman" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(runtime, "info")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                if (process is null) continue;
                if (!process.WaitForExit(TimeSpan.FromSeconds(5))) { process.Kill(); continue; }
                if (process.ExitCode == 0) return true;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed.
            }
        }
        return false;
    }
}

internal sealed class LocalRedisResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}
