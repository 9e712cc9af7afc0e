using System.Net;
using System.Text.Json.Nodes;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>What adding a number refuses and accepts, over real HTTP, with the exact problem details.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberValidationTests(ConvocoreSystem system)
{
    [Fact]
    public async Task Empty_and_missing_phone_number_are_refused_as_required()
    {
        var s = await NumberSetup.Create(system);

        (await s.Add("")).AssertProblem(HttpStatusCode.BadRequest, "Phone number is required");
        (await s.Api.Post($"/api/trunks/{s.TrunkId}/numbers", new { agentId = s.AgentId })).AssertProblem(HttpStatusCode.BadRequest, "Phone number is required");
        Assert.Equal(0, await s.NumberCount());
    }

    [Theory]
    [InlineData("5551234567", "did you mean +15551234567?")]
    [InlineData("+1 (555) 123-4567", "did you mean +15551234567?")]
    [InlineData("+1-555-123-4567", null)]
    [InlineData(" +15551234567", null)]
    [InlineData("+15551234567 ", null)]
    [InlineData("+1555123456789012", null)]
    [InlineData("+0123456789", null)]
    [InlineData("+1555１234567", null)]
    public async Task Numbers_not_in_E164_are_refused_as_invalid_format_with_a_hint_where_obvious(string phoneNumber, string? hint)
    {
        var s = await NumberSetup.Create(system);

        var response = await s.Add(phoneNumber);

        response.AssertProblem(HttpStatusCode.BadRequest, "Invalid phone number format");
        if (hint is not null) Assert.Equal(hint, response.Body!["hint"]?.GetValue<string>());
        Assert.Empty(await s.ListedNumbers());
        Assert.Equal(0, await s.NumberCount());
    }

    [Fact]
    public async Task Missing_agent_is_refused_as_required()
    {
        var s = await NumberSetup.Create(system);

        (await s.Api.Post($"/api/trunks/{s.TrunkId}/numbers", new { phoneNumber = TestNumbers.Next() }))
            .AssertProblem(HttpStatusCode.BadRequest, "Agent is required");
        (await s.Api.Post($"/api/trunks/{s.TrunkId}/numbers", new { phoneNumber = TestNumbers.Next(), agentId = "" }))
            .AssertProblem(HttpStatusCode.BadRequest, "Agent is required");
    }

    [Fact]
    public async Task A_number_configured_in_any_workspace_is_refused_as_existing()
    {
        var first = await NumberSetup.Create(system);
        var second = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await first.AddOk(number);

        (await first.Add(number)).AssertProblem(HttpStatusCode.Conflict, "Phone number already exists");
        (await second.Add(number)).AssertProblem(HttpStatusCode.Conflict, "Phone number already exists");

        Assert.Equal(1, await first.NumberCount());
        Assert.Equal(0, await second.NumberCount());
        Assert.Empty(await second.ListedNumbers());
        Assert.Equal(first.Workspace.Id, (await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.WorkspaceId);
    }

    [Fact]
    public async Task A_trunk_unknown_to_the_workspace_is_refused_as_not_found()
    {
        var s = await NumberSetup.Create(system);
        var other = await NumberSetup.Create(system);

        (await s.Workspace.AddNumber("nosuchtrunk", TestNumbers.Next(), s.AgentId)).AssertProblem(HttpStatusCode.NotFound, "Trunk not found");
        (await s.Workspace.AddNumber(other.TrunkId, TestNumbers.Next(), s.AgentId)).AssertProblem(HttpStatusCode.NotFound, "Trunk not found");
        Assert.Equal(0, await s.NumberCount());
        Assert.Equal(0, await other.NumberCount());
    }

    [Fact]
    public async Task An_unknown_agent_and_another_workspaces_agent_get_the_same_answer()
    {
        var s = await NumberSetup.Create(system);
        var other = await NumberSetup.Create(system);

        var unknown = await s.Add(TestNumbers.Next(), agentId: "nosuchagent");
        var foreign = await s.Add(TestNumbers.Next(), agentId: other.AgentId);

        unknown.AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        foreign.AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        Assert.Equal(unknown.WithoutTraceId(), foreign.WithoutTraceId());
        Assert.Equal(0, await s.NumberCount());
    }

    [Fact]
    public async Task An_agent_that_is_not_voice_enabled_cannot_answer_a_number()
    {
        var s = await NumberSetup.Create(system);
        var silent = await s.CreateAgent(new { title = "Chat only", voiceEnabled = false, voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" } });

        (await s.Add(TestNumbers.Next(), agentId: silent)).AssertProblem(HttpStatusCode.BadRequest, "Agent is not voice-enabled");
        Assert.Equal(0, await s.NumberCount());
    }

    [Theory]
    [InlineData(null, null, null, "a voice configuration is required")]
    [InlineData("elevenlabs", "rachel green", "en-US", "voiceId may contain only letters, digits, '.', '_' and '-' (at most 100)")]
    [InlineData("elevenlabs", "rachel", "english", "language must be a language tag such as en or en-US")]
    [InlineData("elevenlabs", "", "en-US", "voiceId is required")]
    public async Task An_agent_with_an_invalid_voice_configuration_cannot_answer_a_number(string? provider, string? voiceId, string? language, string problem)
    {
        var s = await NumberSetup.Create(system);
        object? voice = provider is null ? null : new { provider, voiceId, language };
        var agent = await s.CreateAgent(new { title = "Draft", voiceEnabled = true, voice });

        (await s.Add(TestNumbers.Next(), agentId: agent)).AssertProblem(HttpStatusCode.BadRequest, "Agent voice configuration is invalid: " + problem);
        Assert.Equal(0, await s.NumberCount());
    }

    [Theory]
    [InlineData("\"APAC\"")]
    [InlineData("\"na\"")]
    [InlineData("\"\"")]
    public async Task An_invalid_region_is_refused(string regionJson)
    {
        var s = await NumberSetup.Create(system);

        var response = await s.AddWithRawField("region", regionJson);

        response.AssertProblem(HttpStatusCode.BadRequest, "Region must be NA or EU");
        Assert.Equal(0, await s.NumberCount());
    }

    [Fact]
    public async Task The_region_defaults_to_the_trunks_and_can_be_given()
    {
        var s = await NumberSetup.Create(system);
        var euTrunk = await s.Workspace.CreateTrunk("Vonage", "EU");
        var inherited = TestNumbers.Next();
        var given = TestNumbers.Next();

        var first = await s.Workspace.AddNumber(euTrunk, inherited, s.AgentId);
        var second = await s.Api.Post($"/api/trunks/{euTrunk}/numbers", new { phoneNumber = given, agentId = s.AgentId, region = "NA" });

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal("EU", first.Body!["region"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.Equal("NA", second.Body!["region"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("true")]
    public async Task AdditionalParams_that_are_not_an_object_are_refused(string json)
    {
        var s = await NumberSetup.Create(system);

        var response = await s.AddWithRawField("additionalParams", json);

        response.AssertProblem(HttpStatusCode.BadRequest, "additionalParams must be a JSON object");
        Assert.Equal(0, await s.NumberCount());
    }

    [Fact]
    public async Task AdditionalParams_of_4096_bytes_are_accepted_and_one_byte_more_is_refused()
    {
        var s = await NumberSetup.Create(system);
        var fits = TestNumbers.Next();
        var tooBig = TestNumbers.Next();

        var accepted = await s.Api.Post($"/api/trunks/{s.TrunkId}/numbers",
            $$"""{"phoneNumber":"{{fits}}","agentId":"{{s.AgentId}}","additionalParams":{{ParamsOfBytes(NumberRules.MaxAdditionalParamsBytes)}}}""");
        var refused = await s.Api.Post($"/api/trunks/{s.TrunkId}/numbers",
            $$"""{"phoneNumber":"{{tooBig}}","agentId":"{{s.AgentId}}","additionalParams":{{ParamsOfBytes(NumberRules.MaxAdditionalParamsBytes + 1)}}}""");

        Assert.True(accepted.Status == HttpStatusCode.Created, accepted.ToString());
        refused.AssertProblem(HttpStatusCode.BadRequest, "additionalParams must be at most 4096 bytes of JSON");
        Assert.Equal([fits], await s.ListedNumbers());
    }

    [Fact]
    public async Task Accepted_numbers_are_created_and_listed_exactly_as_sent()
    {
        var s = await NumberSetup.Create(system, plan: "Pro");
        string[] numbers = ["+15551234567", "+442071234567", "+61212345678", "+81312345678", "+33123456789"];
        var additionalParams = JsonNode.Parse("""{"greeting":"Grüß Gott","nested":{"b":2,"a":[1,"x",null]},"zero":0.10}""")!;

        foreach (var number in numbers)
        {
            var response = await s.Add(number, additionalParams: additionalParams);
            Assert.True(response.Status == HttpStatusCode.Created, $"{number}: {response}");
            Assert.Equal("application/json", response.ContentType);
            Assert.Equal(number, response.Body!["phoneNumber"]!.GetValue<string>());
            Assert.Equal(s.AgentId, response.Body!["agentId"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(additionalParams, response.Body!["additionalParams"]), response.ToString());
        }

        var listed = await s.ListAll();
        Assert.Equal(numbers.Order(StringComparer.Ordinal), listed.Select(i => i["phoneNumber"]!.GetValue<string>()));
        Assert.All(listed, item =>
        {
            Assert.Equal(s.TrunkId, item["trunkId"]!.GetValue<string>());
            Assert.Equal("Receptionist", item["agentTitle"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(additionalParams, item["additionalParams"]), item.ToJsonString());
        });
        Assert.Equal(numbers.Length, await s.NumberCount());
        foreach (var number in numbers)
        {
            var assignment = await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment();
            Assert.NotNull(assignment);
            Assert.Equal(s.AgentId, assignment.AgentId);
        }
    }

    /// <summary>A JSON object of exactly <paramref name="bytes"/> UTF-8 bytes.</summary>
    private static string ParamsOfBytes(int bytes)
    {
        const string start = "{\"pad\":\"", end = "\"}";
        return start + new string('x', bytes - start.Length - end.Length) + end;
    }
}
