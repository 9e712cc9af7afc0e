using System.Globalization;
using System.Net;
using Convocore.Tests.Numbers;
using Xunit.Abstractions;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// A number's fallback on the real Asterisk: its agent is not voice-enabled, so the call goes to the fallback. A number or
/// SIP fallback is dialled by the repo's dialplan ([convocore-fallback]): a sipp UAS on 127.0.0.1:5070 (the provider's
/// address in pjsip.conf's [trunk] aor, and the SIP URI's host) must receive that INVITE. An agent fallback reaches
/// [convocore-agent] with the fallback agent's variables.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class RealAsteriskFallbackTests(AsteriskFixture asterisk, RealAsteriskSystem system, ITestOutputHelper output)
    : IClassFixture<RealAsteriskSystem>, IAsyncLifetime
{
    private const int UasPort = 5070;

    public async Task InitializeAsync()
    {
        if (!asterisk.IsRunning) return;
        await asterisk.SetGlobalAsync("AGENT_WAIT", "1");
    }

    public async Task DisposeAsync()
    {
        if (!asterisk.IsRunning) return;
        try
        {
            foreach (var id in await asterisk.GetChannelIdsAsync())
            {
                using var _ = await asterisk.Ari.DeleteAsync($"channels/{id}");
            }
        }
        catch (HttpRequestException ex)
        {
            output.WriteLine("cleanup: " + ex.Message);
        }
    }

    private async Task<(NumberSetup Setup, string Number)> NumberWhoseAgentIsOff(object? fallback, NumberSetup? setup = null)
    {
        asterisk.SkipIfUnavailable();
        output.WriteLine("system up: " + await system.StartAsync(asterisk));
        setup ??= await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        var added = await setup.Api.Post($"/api/trunks/{setup.TrunkId}/numbers", new { phoneNumber = number, agentId = setup.AgentId, fallback });
        Assert.True(added.Status == HttpStatusCode.Created, added.ToString());
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch($"/api/agents/{setup.AgentId}", new { voiceEnabled = false })).Status);
        return (setup, number);
    }

    /// <summary>Places one call to <paramref name="number"/> while a sipp UAS (sipp's built-in uas scenario) listens on 5070; the UAS's message trace.</summary>
    private async Task<string> CallWithUasListening(string number)
    {
        var work = Path.Combine(Path.GetTempPath(), "cvc-uas-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(work);
        var trace = Path.Combine(work, "messages.log");
        string[] args =
        [
            "-sn", "uas", "-i", "127.0.0.1", "-p", UasPort.ToString(CultureInfo.InvariantCulture), "-t", "u1", "-m", "1",
            "-nostdin", "-timeout", "30", "-trace_msg", "-message_file", trace,
        ];
        var uas = ProcessRunner.RunAsync(asterisk.SippPath!, args, TimeSpan.FromSeconds(40), work);
        await Task.Delay(500); // let it bind its port
        var caller = await asterisk.CreateSipp().CallAsync(number, hold: TimeSpan.FromSeconds(1), timeout: TimeSpan.FromSeconds(20));
        output.WriteLine("caller: " + caller);
        var uasRun = await uas;
        output.WriteLine($"uas exit {uasRun.ExitCode}{(uasRun.TimedOut ? " (timed out)" : "")}");
        var messages = File.Exists(trace) ? await File.ReadAllTextAsync(trace) : "";
        output.WriteLine(messages);
        Assert.Equal(200, Assert.Single(caller.Calls).FinalStatus); // the fallback answered, so the caller was answered
        try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        return messages;
    }

    [SkippableFact]
    public async Task A_number_fallback_is_dialled_through_the_provider_endpoint()
    {
        var (_, number) = await NumberWhoseAgentIsOff(new { type = "number", phoneNumber = "+15550007777" });

        var messages = await CallWithUasListening(number);

        Assert.Contains("INVITE sip:+15550007777@127.0.0.1:5070 SIP/2.0", messages);
    }

    [SkippableFact]
    public async Task A_SIP_fallback_is_dialled_at_its_URI()
    {
        var (_, number) = await NumberWhoseAgentIsOff(new { type = "sip", uri = "sip:frontdesk@127.0.0.1:5070" });

        var messages = await CallWithUasListening(number);

        Assert.Contains("INVITE sip:frontdesk@127.0.0.1:5070 SIP/2.0", messages);
    }

    [SkippableFact]
    public async Task An_agent_fallback_reaches_the_agent_context_with_the_fallback_agents_variables()
    {
        asterisk.SkipIfUnavailable();
        await system.StartAsync(asterisk);
        var setup = await NumberSetup.Create(system, "Pro");
        var backup = await setup.Workspace.CreateAgent("Backup");
        var (_, number) = await NumberWhoseAgentIsOff(new { type = "agent", agentId = backup }, setup);

        var result = await asterisk.CreateSipp().CallAsync(number, hold: TimeSpan.FromSeconds(5));

        output.WriteLine(result.ToString());
        var call = Assert.Single(result.Calls);
        Assert.Equal(200, call.FinalStatus);
        Assert.Equal("remote_bye", call.Ended); // the stub agent hung up after AGENT_WAIT
        Assert.Equal(backup, await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
        Assert.Equal(backup, await asterisk.GetGlobalAsync("LAST_AGENT_VAR"));
        Assert.Equal(setup.Workspace.Id, await asterisk.GetGlobalAsync("LAST_WORKSPACE"));
        Assert.Equal(number, await asterisk.GetGlobalAsync("LAST_NUMBER"));
    }
}
