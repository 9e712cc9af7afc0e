using System.Diagnostics;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Foundation;

/// <summary>
/// The Redis the AppHost runs, read from the manifest the AppHost itself writes (`--publisher manifest`): no container
/// runtime is needed to see how the container would be started.
/// </summary>
public sealed class AppHostRedisTests
{
    [Theory]
    [InlineData("container")]
    [InlineData("process")]
    public async Task Redis_keeps_an_append_only_file_fsynced_on_every_write_in_either_mode(string mode)
    {
        var options = await RedisServerOptions(mode);

        Assert.Contains(("--appendonly", "yes"), Pairs(options));
        Assert.Contains(("--appendfsync", "always"), Pairs(options));
    }

    private static IEnumerable<(string, string)> Pairs(IReadOnlyList<string> options) => options.Zip(options.Skip(1));

    /// <summary>What redis-server is started with: the local process's arguments, or the container's shell command.</summary>
    private static async Task<IReadOnlyList<string>> RedisServerOptions(string mode)
    {
        var manifestPath = Path.Combine(Directory.CreateTempSubdirectory("convocore-manifest-").FullName, "manifest.json");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { SiloProcess.BuiltAssembly("Convocore.AppHost"), "--publisher", "manifest", "--output-path", manifestPath })
            start.ArgumentList.Add(arg);
        start.Environment["Convocore__Redis__Mode"] = mode;
        using var apphost = Process.Start(start)!;
        var output = apphost.StandardOutput.ReadToEndAsync();
        var errors = apphost.StandardError.ReadToEndAsync();
        await apphost.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(apphost.ExitCode == 0, $"the AppHost wrote no manifest: {await output}{await errors}");

        var redis = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!["resources"]!["redis"]!;
        var args = redis["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        if (mode == "process") return args;
        Assert.Equal("/bin/sh", redis["entrypoint"]!.GetValue<string>());
        Assert.Equal("-c", args[0]);
        var command = args[1].Split(' ');
        Assert.Equal("redis-server", command[0]);
        return command;
    }
}
