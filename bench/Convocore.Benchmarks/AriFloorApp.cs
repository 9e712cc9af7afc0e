using System.Globalization;
using Convocore.Silo.Routing;
using Convocore.Silo.Routing.Ari;

namespace Convocore.Benchmarks;

/// <summary>
/// The ARI floor for the SIP load (bench/sipp-load.sh): the least a Stasis app can do to hand a call to an agent, on our
/// own ARI client. On StasisStart: one bulk-variables request with the same five variables the router sets, then
/// <c>continue</c> to a fixed agent, both over the events WebSocket, in sequence. No lookup, no subscription, no record.
/// Runs until SIGINT/SIGTERM. Usage: <c>ari-floor --url http://127.0.0.1:8088 --user u --password p --app floor</c>.
/// Variants, to measure what each step of the router costs Asterisk: <c>--subscribe</c> subscribes to the channel before
/// <c>continue</c> (and allows ChannelDestroyed through the filter); <c>--variables-over-http</c> sends the variables
/// over HTTP, beside the subscription, as the router did; <c>--stasis-end</c> also lets StasisEnd through the filter.
/// </summary>
internal static class AriFloorApp
{
    public static async Task<int> Run(string[] args)
    {
        string url = "http://127.0.0.1:8088", user = "convocore", password = "convocore", app = "floor";
        bool subscribe = false, variablesOverHttp = false, stasisEnd = false, print = false, hangupHandler = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--url": url = args[++i]; break;
                case "--user": user = args[++i]; break;
                case "--password": password = args[++i]; break;
                case "--app": app = args[++i]; break;
                case "--subscribe": subscribe = true; break;
                case "--variables-over-http": variablesOverHttp = true; break;
                case "--stasis-end": stasisEnd = true; break;
                case "--print": print = true; break;
                case "--hangup-handler": hangupHandler = true; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }

        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

        var settings = new AriConnectionSettings(new Uri(url), user, password, app) { VariablesOverWebSocket = !variablesOverHttp };
        await using var client = new AriClient(settings);
        await client.ConnectAsync(stop.Token);
        List<string> allowed = ["StasisStart", "RESTResponse"];
        if (subscribe) allowed.Add("ChannelDestroyed");
        if (stasisEnd) allowed.Add("StasisEnd");
        await client.FilterEventsAsync(allowed, stop.Token);
        Console.WriteLine($"ari-floor: connected to Asterisk {client.Routes.ServerVersion} as {app} " +
                          $"(commands over {client.Routes.Transport}, variables {client.Routes.Variables} over {client.Routes.VariablesTransport})");

        long handled = 0, failed = 0;
        try
        {
            while (await client.Events.WaitToReadAsync(stop.Token))
            {
                while (client.Events.TryRead(out var e))
                {
                    if (print) Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {e.GetType().Name} {(e as StasisStart)?.Channel.Id} {string.Join(',', (e as StasisStart)?.Args ?? [])}");
                    if (e is StasisStart end && CallEnd.IsEnd(end)) continue;
                    if (e is StasisStart start) _ = Handle(start);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ari-floor: {handled} calls continued, {failed} failed"));
        return 0;

        async Task Handle(StasisStart start)
        {
            var dialed = start.Args.Count > 0 ? start.Args[0] : start.Channel.Dialplan.Exten;
            List<KeyValuePair<string, string>> variables =
            [
                new("CONVOCORE_AGENT_ID", "flooragent"),
                new("CONVOCORE_WORKSPACE_ID", "floorworkspace"),
                new("CONVOCORE_TRUNK_ID", "floortrunk"),
                new("CONVOCORE_NUMBER", dialed),
                new("CONVOCORE_PARAMS", "{}"),
            ];
            if (hangupHandler) variables.Add(CallEnd.HangupHandler);
            try
            {
                if (subscribe)
                {
                    var set = client.SetChannelVariablesAsync(start.Channel.Id, variables);
                    var subscription = client.SubscribeAsync(app, "channel:" + start.Channel.Id);
                    await Task.WhenAll(set, subscription);
                }
                else await client.SetChannelVariablesAsync(start.Channel.Id, variables);
                await client.ContinueAsync(start.Channel.Id, "convocore-agent", "flooragent", 1);
                Interlocked.Increment(ref handled);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }
}
