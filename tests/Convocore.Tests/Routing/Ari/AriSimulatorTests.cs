using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Convocore.AriSimulator;

namespace Convocore.Tests.Routing.Ari;

/// <summary>The simulator against the contract: captured event shapes and the API description files.</summary>
public class AriSimulatorTests
{
    private static async Task<(AriSimulator.AriSimulator Simulator, HttpClient Http)> StartAsync(string version = "23.4.1")
    {
        var simulator = new AriSimulator.AriSimulator(new AriSimulatorOptions
        {
            AsteriskVersion = version,
            ReportedChannelVariables = ["CONVOCORE_AGENT_ID"],
        });
        await simulator.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri(simulator.BaseUrl, "/ari/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("asterisk:asterisk"u8));
        return (simulator, http);
    }

    private static async Task<ClientWebSocket> ConnectEventsAsync(AriSimulator.AriSimulator simulator)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Basic " + Convert.ToBase64String("asterisk:asterisk"u8));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{simulator.BaseUrl.Port}/ari/events?app=convocore"), CancellationToken.None);
        return socket;
    }

    private static async Task<JsonDocument> ReceiveJsonAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None).AsTask().WaitAsync(AriHarness.Patience);
            count += result.Count;
        } while (!result.EndOfMessage);
        return JsonDocument.Parse(buffer.AsMemory(0, count));
    }

    /// <summary>Property names in document order, recursively: "channel.dialplan.app_name" etc.</summary>
    private static List<string> Shape(JsonElement element, string prefix = "")
    {
        var names = new List<string>();
        if (element.ValueKind != JsonValueKind.Object) return names;
        foreach (var property in element.EnumerateObject())
        {
            names.Add(prefix + property.Name + ":" + property.Value.ValueKind);
            names.AddRange(Shape(property.Value, prefix + property.Name + "."));
        }
        return names;
    }

    [Fact]
    public async Task StasisStart_HasTheShapeOfTheCapturedPjsipEvent()
    {
        var (simulator, http) = await StartAsync();
        await using var _ = simulator;
        using var __ = http;
        using var socket = await ConnectEventsAsync(simulator);
        var captured = JsonDocument.Parse(SharedAriFiles.Event("pjsip/StasisStart.json"));

        var call = simulator.PlaceCall("+15552000000", "+15551234567");
        using var sent = await ReceiveJsonAsync(socket);

        Assert.Equal(Shape(captured.RootElement), Shape(sent.RootElement));
        var channel = sent.RootElement.GetProperty("channel");
        Assert.Equal(call.ChannelId, channel.GetProperty("id").GetString());
        Assert.Matches(@"^\d+\.\d+$", call.ChannelId);
        Assert.Matches("^PJSIP/trunk-[0-9a-f]{8}$", call.ChannelName);
        Assert.Equal("convocore,+15552000000", channel.GetProperty("dialplan").GetProperty("app_data").GetString());
        Assert.Equal("+15552000000", sent.RootElement.GetProperty("args")[0].GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$", sent.RootElement.GetProperty("timestamp").GetString());
        Assert.NotEqual(0, call.StasisStartSentTimestamp);
    }

    [Fact]
    public async Task ChannelDestroyedAfterHangup_HasTheShapeOfTheCapturedEvent()
    {
        var (simulator, http) = await StartAsync();
        await using var _ = simulator;
        using var __ = http;
        using var socket = await ConnectEventsAsync(simulator);
        var call = simulator.PlaceCall("+15552000000", "+15551234567");
        (await ReceiveJsonAsync(socket)).Dispose();

        using var response = await http.DeleteAsync($"channels/{call.ChannelId}?reason=busy");
        using var end = await ReceiveJsonAsync(socket);
        using var destroyed = await ReceiveJsonAsync(socket);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("StasisEnd", end.RootElement.GetProperty("type").GetString());
        var captured = JsonDocument.Parse(SharedAriFiles.Event("ChannelDestroyed.json")).RootElement;
        Assert.Equal(Shape(captured).Where(p => !p.StartsWith("channel.channelvars")),
            Shape(destroyed.RootElement).Where(p => !p.StartsWith("channel.channelvars")));
        Assert.Equal((17, "User busy"), (destroyed.RootElement.GetProperty("cause").GetInt32(), destroyed.RootElement.GetProperty("cause_txt").GetString()));
    }

    [Theory]
    [InlineData("DELETE", "channels/{id}?reason=hung_up_on_purpose", 400)]
    [InlineData("DELETE", "channels/{id}?reason=normal&reason_code=16", 400)]
    [InlineData("DELETE", "channels/{id}?reasn=normal", 400)]
    [InlineData("POST", "channels/{id}/variable?value=x", 400)]
    [InlineData("POST", "channels/{id}/variable?variable=A&value=x&colour=red", 400)]
    [InlineData("POST", "channels/{id}/continue?priority=first", 400)]
    [InlineData("POST", "applications/convocore/subscription", 400)]
    [InlineData("POST", "applications/convocore/subscription?eventSource=channel:nope", 422)]
    [InlineData("POST", "applications/unknown-app/subscription?eventSource=channel:{id}", 404)]
    [InlineData("POST", "channels/{id}/explode", 404)]
    [InlineData("PUT", "channels/{id}/continue", 405)]
    [InlineData("POST", "channels/1.999999/continue", 404)]
    [InlineData("GET", "asterisk/info?only=sysinfo", 400)]
    [InlineData("POST", "channels/{id}/variable?variable=A&value=x", 204)]
    [InlineData("DELETE", "channels/{id}?reason_code=21", 204)]
    [InlineData("POST", "applications/convocore/subscription?eventSource=channel:{id}", 200)]
    [InlineData("GET", "asterisk/info?only=system,build", 200)]
    public async Task Request_IsCheckedAgainstTheApiDescription(string method, string pathAndQuery, int expectedStatus)
    {
        var (simulator, http) = await StartAsync();
        await using var _ = simulator;
        using var __ = http;
        using var socket = await ConnectEventsAsync(simulator);
        var call = simulator.PlaceCall("+15552000000", "+15551234567");

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), pathAndQuery.Replace("{id}", call.ChannelId)));

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal(expectedStatus, simulator.Commands.Last().StatusCode);
        if (expectedStatus >= 400)
            Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("20.1.0", 404)]
    [InlineData("22.9.0", 404)]
    [InlineData("22.10.0", 204)]
    [InlineData("23.4.1", 204)]
    public async Task BulkVariablesRoute_ExistsOnlyFromItsSinceVersions(string version, int expectedStatus)
    {
        var (simulator, http) = await StartAsync(version);
        await using var _ = simulator;
        using var __ = http;
        using var socket = await ConnectEventsAsync(simulator);
        var call = simulator.PlaceCall("+15552000000", "+15551234567");

        using var response = await http.PostAsync($"channels/{call.ChannelId}/variables",
            new StringContent("""{"variables":{"A":"1"}}""", Encoding.UTF8, "application/json"));

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        if (expectedStatus == 404)
            Assert.Equal("Resource not found", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task RawPlusInAQueryValue_ArrivesAsASpace_AsOnAsterisk()
    {
        var (simulator, http) = await StartAsync();
        await using var _ = simulator;
        using var __ = http;
        using var socket = await ConnectEventsAsync(simulator);
        var call = simulator.PlaceCall("+15552000000", "+15551234567");

        (await http.PostAsync($"channels/{call.ChannelId}/variable?variable=RAW&value=+1555", null)).Dispose();
        (await http.PostAsync($"channels/{call.ChannelId}/variable?variable=ENCODED&value=%2B1555", null)).Dispose();

        Assert.Equal(" 1555", call.Variables["RAW"]);
        Assert.Equal("+1555", call.Variables["ENCODED"]);
    }

    [Fact]
    public async Task WrongCredentials_AreRejectedWith401_ForRestAndEvents()
    {
        var (simulator, http) = await StartAsync();
        await using var _ = simulator;
        using var __ = http;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("asterisk:nope"u8));
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        using var rest = await http.GetAsync("asterisk/info");
        await Assert.ThrowsAsync<WebSocketException>(() =>
            socket.ConnectAsync(new Uri($"ws://127.0.0.1:{simulator.BaseUrl.Port}/ari/events?app=convocore"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, rest.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task RestOverWebSocket_AnswersWithRestResponseMatchedByRequestId()
    {
        var (simulator, http) = await StartAsync();
        await using var _ = simulator;
        using var __ = http;
        using var socket = await ConnectEventsAsync(simulator);
        var call = simulator.PlaceCall("+15552000000", "+15551234567");
        (await ReceiveJsonAsync(socket)).Dispose();
        var request = SharedAriFiles.Event("RESTRequest.example.json").Replace("1795524880.5", call.ChannelId);

        await socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, CancellationToken.None);
        using var first = await ReceiveJsonAsync(socket);
        using var second = await ReceiveJsonAsync(socket);

        var response = new[] { first, second }.Single(d => d.RootElement.GetProperty("type").GetString() == "RESTResponse").RootElement;
        Assert.Equal(("t1", "r2", 204, "No Content", $"channels/{call.ChannelId}/continue"),
            (response.GetProperty("transaction_id").GetString(), response.GetProperty("request_id").GetString(),
             response.GetProperty("status_code").GetInt32(), response.GetProperty("reason_phrase").GetString(),
             response.GetProperty("uri").GetString()));
        var outcome = await call.Outcome.WaitAsync(AriHarness.Patience);
        Assert.Equal((CallOutcomeKind.Continued, "convocore-agent", "agent-ws", 1L), (outcome.Kind, outcome.Context, outcome.Extension, outcome.Priority));
        Assert.Equal("websocket", Assert.Single(call.Commands).Transport);
    }

    [Fact]
    public async Task ContinuedCall_EndsByItselfAfterTheConfiguredDuration()
    {
        await using var simulator = new AriSimulator.AriSimulator(new AriSimulatorOptions { ContinuedCallDuration = TimeSpan.FromMilliseconds(50) });
        await simulator.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(simulator.BaseUrl, "/ari/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("asterisk:asterisk"u8));
        using var socket = await ConnectEventsAsync(simulator);
        var call = simulator.PlaceCall("+15552000000", "+15551234567");

        (await http.PostAsync($"channels/{call.ChannelId}/continue?context=convocore-agent&extension=agent-1&priority=1", null)).Dispose();

        Assert.Equal(16, await call.Ended.WaitAsync(AriHarness.Patience));
        Assert.Null(simulator.FindCall(call.ChannelId));
    }
}
