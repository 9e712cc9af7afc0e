using System.Text;
using Convocore.Silo.Routing.Ari;

namespace Convocore.Tests.Routing.Ari;

public class AriEventParserTests
{
    private static readonly Dictionary<string, Type> Handled = new()
    {
        ["StasisStart"] = typeof(StasisStart),
        ["StasisEnd"] = typeof(StasisEnd),
        ["ChannelDestroyed"] = typeof(ChannelDestroyed),
        ["ChannelHangupRequest"] = typeof(ChannelHangupRequest),
        ["ApplicationReplaced"] = typeof(ApplicationReplaced),
        ["RESTResponse"] = typeof(RestResponse),
    };

    private static string[] CapturedEventPaths() =>
        Directory.EnumerateFiles(SharedAriFiles.EventsDirectory, "*.json", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(SharedAriFiles.EventsDirectory, file)).Order().ToArray();

    public static TheoryData<string> CapturedEventFiles() => new(CapturedEventPaths());

    [Fact]
    public void CapturedEventFiles_AreFound()
    {
        var files = CapturedEventPaths();

        Assert.Contains("StasisStart.json", files);
        Assert.Contains(Path.Combine("pjsip", "StasisStart.json"), files);
        Assert.Contains("RESTResponse.json", files);
    }

    [Theory]
    [MemberData(nameof(CapturedEventFiles))]
    public void CapturedEvent_ParsesToItsTypedModel_OrIsIgnored(string relativePath)
    {
        var json = SharedAriFiles.Event(relativePath);
        var type = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("type").GetString()!;

        var parsed = AriEventParser.Parse(Encoding.UTF8.GetBytes(json));

        if (Handled.TryGetValue(type, out var expected))
        {
            Assert.IsType(expected, parsed);
            Assert.NotEqual(default, parsed!.Timestamp);
        }
        else
        {
            Assert.Null(parsed);
        }
    }

    [Fact]
    public void PjsipStasisStart_MapsEveryField()
    {
        var parsed = Assert.IsType<StasisStart>(AriEventParser.Parse(Encoding.UTF8.GetBytes(SharedAriFiles.Event("pjsip/StasisStart.json"))));

        Assert.Equal(["+15552000000"], parsed.Args);
        Assert.Equal("convocore", parsed.Application);
        Assert.Equal("02:fc:00:00:00:01", parsed.AsteriskId);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 13, 25, 50, 210, TimeSpan.Zero), parsed.Timestamp);
        var channel = parsed.Channel;
        Assert.Equal("1795526750.167", channel.Id);
        Assert.Equal("PJSIP/trunk-00000001", channel.Name);
        Assert.Equal("Ring", channel.State);
        Assert.Equal("1-32524@127.0.0.1", channel.ProtocolId);
        Assert.Equal("sipp", channel.Caller.Name);
        Assert.Equal("sipp", channel.Caller.Number);
        Assert.Equal("", channel.Connected.Number);
        Assert.Equal(new DialplanCep { Context = "from-trunk", Exten = "+15552000000", Priority = 2, AppName = "Stasis", AppData = "convocore,+15552000000" }, channel.Dialplan);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 13, 25, 50, 209, TimeSpan.Zero), channel.CreationTime);
        Assert.Equal("en", channel.Language);
        Assert.Equal(new Dictionary<string, string> { ["CONVOCORE_AGENT_ID"] = "" }, channel.ChannelVars);
    }

    [Fact]
    public void ChannelDestroyed_MapsCauseAndCauseText()
    {
        var parsed = Assert.IsType<ChannelDestroyed>(AriEventParser.Parse(Encoding.UTF8.GetBytes(SharedAriFiles.Event("ChannelDestroyed.json"))));

        Assert.Equal(16, parsed.Cause);
        Assert.Equal("Normal Clearing", parsed.CauseText);
        Assert.Equal("1795524850.1", parsed.Channel.Id);
        Assert.Null(parsed.Channel.ChannelVars);
    }

    [Fact]
    public void ChannelHangupRequest_WithTypeAfterOtherFields_IsRecognised()
    {
        var parsed = Assert.IsType<ChannelHangupRequest>(AriEventParser.Parse(Encoding.UTF8.GetBytes(SharedAriFiles.Event("ChannelHangupRequest.json"))));

        Assert.Equal(16, parsed.Cause);
        Assert.True(parsed.Soft);
    }

    [Fact]
    public void RestResponse_MapsRequestIdAndStatus()
    {
        var parsed = Assert.IsType<RestResponse>(AriEventParser.Parse(Encoding.UTF8.GetBytes(SharedAriFiles.Event("RESTResponse.json"))));

        Assert.Equal("r2", parsed.RequestId);
        Assert.Equal("t1", parsed.TransactionId);
        Assert.Equal(204, parsed.StatusCode);
        Assert.Equal("No Content", parsed.ReasonPhrase);
        Assert.Null(parsed.MessageBody);
    }

    [Theory]
    [InlineData("""{"type":"ChannelTalkingStarted","timestamp":"2026-11-24T12:54:10.441+0000","application":"convocore","channel":{"id":"1"}}""")]
    [InlineData("""{"type":"SomethingFromAsterisk42","future":{"nested":[1,2,{"x":null}]}}""")]
    [InlineData("""{"timestamp":"2026-11-24T12:54:10.441+0000"}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""not json at all""")]
    [InlineData("""{"type":"StasisStart","args":"not-a-list"}""")]
    [InlineData("""{"type":42}""")]
    [InlineData("")]
    public void UnknownOrMalformedMessage_IsIgnoredWithoutThrowing(string message)
    {
        Assert.Null(AriEventParser.Parse(Encoding.UTF8.GetBytes(message)));
    }

    [Fact]
    public void StasisStart_WithUnknownFields_StillParses()
    {
        var json = """
            {"future_field":{"a":[1,{"b":2}]},"type":"StasisStart","timestamp":"2026-11-24T13:25:50.210+0000",
             "args":["+15552000000","extra"],"replace_channel":null,
             "channel":{"id":"1.2","name":"PJSIP/trunk-00000002","new_thing":true,"state":"Ring",
               "caller":{"name":"","number":"+15551234567","extra":1},
               "dialplan":{"context":"from-trunk","exten":"+15552000000","priority":2,"app_name":"Stasis","app_data":"convocore","label":"x"},
               "creationtime":"2026-11-24T13:25:50.209+0100","language":"en","tenantid":"t1"},
             "application":"convocore"}
            """;

        var parsed = Assert.IsType<StasisStart>(AriEventParser.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(["+15552000000", "extra"], parsed.Args);
        Assert.Equal("1.2", parsed.Channel.Id);
        Assert.Equal("+15551234567", parsed.Channel.Caller.Number);
        Assert.Equal(TimeSpan.FromHours(1), parsed.Channel.CreationTime.Offset);
    }
}
