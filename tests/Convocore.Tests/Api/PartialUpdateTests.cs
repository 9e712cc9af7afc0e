using System.Net;
using System.Text.Json.Nodes;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Api;

/// <summary>PUT replaces and needs every field; PATCH (JSON Merge Patch) changes only the fields it names.</summary>
[Collection(SystemCollection.Name)]
public sealed class PartialUpdateTests(ConvocoreSystem system)
{
    private static readonly object Voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" };

    [Theory]
    [InlineData("""{"title":"Renamed"}""", "voiceEnabled is required: true or false")]
    [InlineData("""{"title":"Renamed","voiceEnabled":true}""", "voice is required: a voice configuration, or null for none")]
    [InlineData("""{"voiceEnabled":true,"voice":null}""", "Title is required")]
    [InlineData("""{"title":"Renamed","voiceEnabled":null,"voice":null}""", "voiceEnabled is required: true or false")]
    public async Task A_PUT_of_an_agent_missing_a_field_is_refused_naming_it_and_changes_nothing(string body, string detail)
    {
        var s = await NumberSetup.Create(system);
        var before = await s.Api.Get($"/api/agents/{s.AgentId}");

        (await s.Api.Put($"/api/agents/{s.AgentId}", body)).AssertProblem(HttpStatusCode.BadRequest, detail);

        Assert.Equal(before.ToString(), (await s.Api.Get($"/api/agents/{s.AgentId}")).ToString());
        Assert.True(before.Body!["voiceEnabled"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("""{"name":"Renamed","region":"NA","defaultCountry":null}""", "active is required: true or false")]
    [InlineData("""{"name":"Renamed","region":"NA","active":true}""", "defaultCountry is required: a two-letter country code, or null for none")]
    [InlineData("""{"name":"Renamed","active":true,"defaultCountry":null}""", "Region must be NA or EU")]
    public async Task A_PUT_of_a_trunk_missing_a_field_is_refused_naming_it_and_changes_nothing(string body, string detail)
    {
        var s = await NumberSetup.Create(system);
        var path = $"/api/trunks/{s.TrunkId}";
        Assert.Equal(HttpStatusCode.OK, (await s.Api.Put(path, new { name = "Twilio", region = "NA", active = false, defaultCountry = "US" })).Status);
        var before = await s.Api.Get(path);

        (await s.Api.Put(path, body)).AssertProblem(HttpStatusCode.BadRequest, detail);

        Assert.Equal(before.ToString(), (await s.Api.Get(path)).ToString());
        Assert.False(before.Body!["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_PUT_of_a_number_needs_both_fields_and_null_params_remove_them()
    {
        var s = await NumberSetup.Create(system);
        var other = await s.Workspace.CreateAgent("Other");
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await s.Add(number, additionalParams: new { keep = 1 })).Status);
        var path = $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}";

        (await s.Api.Put(path, new { agentId = other })).AssertProblem(HttpStatusCode.BadRequest, "additionalParams is required: a JSON object, or null for none");
        (await s.Api.Put(path, new { additionalParams = new { a = 1 } })).AssertProblem(HttpStatusCode.BadRequest, "Agent is required");
        Assert.Equal(s.AgentId, (await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.AgentId);

        var replaced = await s.Api.Put(path, new { agentId = other, additionalParams = (object?)null });

        Assert.True(replaced.Status == HttpStatusCode.OK, replaced.ToString());
        Assert.Null(replaced.Body!["additionalParams"]);
        var assignment = (await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!;
        Assert.Equal(other, assignment.AgentId);
        Assert.Null(assignment.AdditionalParamsJson);
    }

    [Fact]
    public async Task A_PATCH_of_an_agent_changes_only_what_it_names_and_merges_the_voice()
    {
        var s = await NumberSetup.Create(system);
        var path = $"/api/agents/{s.AgentId}";

        var renamed = await s.Api.Patch(path, new { title = "Front desk" });
        var relanguaged = await s.Api.Patch(path, new { voice = new { language = "en-GB" } });

        Assert.True(renamed.Status == HttpStatusCode.OK, renamed.ToString());
        Assert.Equal("Front desk", renamed.Body!["title"]!.GetValue<string>());
        Assert.True(renamed.Body!["voiceEnabled"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"provider":"elevenlabs","voiceId":"rachel","language":"en-US"}"""), renamed.Body!["voice"]));
        Assert.True(relanguaged.Status == HttpStatusCode.OK, relanguaged.ToString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"provider":"elevenlabs","voiceId":"rachel","language":"en-GB"}"""), relanguaged.Body!["voice"]));
        Assert.Equal("Front desk", relanguaged.Body!["title"]!.GetValue<string>());
        Assert.Null(relanguaged.Body!["unavailableReason"]);

        var withoutVoice = await s.Api.Patch(path, """{"voice":null}""");

        Assert.True(withoutVoice.Status == HttpStatusCode.OK, withoutVoice.ToString());
        Assert.Null(withoutVoice.Body!["voice"]);
        Assert.Equal("Agent voice configuration is invalid: a voice configuration is required", withoutVoice.Body!["unavailableReason"]!.GetValue<string>());
        Assert.Equal("Front desk", withoutVoice.Body!["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"title":null}""", "title is required and cannot be removed")]
    [InlineData("""{"voiceEnabled":null}""", "voiceEnabled is required and cannot be removed")]
    [InlineData("""{"voiceEnabled":"yes"}""", "voiceEnabled must be true or false")]
    [InlineData("""{"title":""}""", "Title is required")]
    [InlineData("""{"voice":"rachel"}""", "voice must be a JSON object, or null for none")]
    [InlineData("""{"voice":{"provider":7}}""", "voice.provider must be a string")]
    [InlineData("""{"voice":{"provider":"acme"}}""", "Voice provider must be one of azure, elevenlabs, google, openai, polly")]
    [InlineData("""{"id":"another"}""", "id cannot be changed")]
    [InlineData("""{"numberCount":0}""", "numberCount cannot be changed")]
    public async Task A_PATCH_of_an_agent_that_would_leave_it_invalid_is_refused_and_changes_nothing(string patch, string detail)
    {
        var s = await NumberSetup.Create(system);
        var path = $"/api/agents/{s.AgentId}";
        var before = await s.Api.Get(path);

        (await s.Api.Patch(path, patch)).AssertProblem(HttpStatusCode.BadRequest, detail);

        Assert.Equal(before.ToString(), (await s.Api.Get(path)).ToString());
    }

    [Fact]
    public async Task A_PATCH_of_a_trunk_changes_only_what_it_names()
    {
        var s = await NumberSetup.Create(system);
        var path = $"/api/trunks/{s.TrunkId}";
        Assert.Equal(HttpStatusCode.OK, (await s.Api.Patch(path, new { defaultCountry = "US" })).Status);

        var deactivated = await s.Api.Patch(path, new { active = false });

        Assert.True(deactivated.Status == HttpStatusCode.OK, deactivated.ToString());
        Assert.False(deactivated.Body!["active"]!.GetValue<bool>());
        Assert.Equal("Twilio", deactivated.Body!["name"]!.GetValue<string>());
        Assert.Equal("NA", deactivated.Body!["region"]!.GetValue<string>());
        Assert.Equal("US", deactivated.Body!["defaultCountry"]!.GetValue<string>());

        var renamed = await s.Api.Patch(path, """{"name":"Twilio EU","region":"EU","defaultCountry":null}""");

        Assert.True(renamed.Status == HttpStatusCode.OK, renamed.ToString());
        Assert.False(renamed.Body!["active"]!.GetValue<bool>());
        Assert.Equal("EU", renamed.Body!["region"]!.GetValue<string>());
        Assert.Null(renamed.Body!["defaultCountry"]);
        (await s.Api.Patch(path, """{"active":null}""")).AssertProblem(HttpStatusCode.BadRequest, "active is required and cannot be removed");
        (await s.Api.Patch(path, """{"region":"APAC"}""")).AssertProblem(HttpStatusCode.BadRequest, "Region must be NA or EU");
        (await s.Api.Patch(path, """{"defaultCountry":"gb"}""")).AssertProblem(HttpStatusCode.BadRequest, "Default country must be a two-letter country code such as US or GB");
        Assert.Equal(renamed.ToString(), (await s.Api.Get(path)).ToString());
    }

    [Fact]
    public async Task A_PATCH_of_a_number_reassigns_it_and_merges_its_params_member_by_member()
    {
        var s = await NumberSetup.Create(system);
        var other = await s.Workspace.CreateAgent("Other");
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await s.Add(number, additionalParams: new { greeting = "hello", language = "de", nested = new { a = 1 } })).Status);
        var path = $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}";

        var reassigned = await s.Api.Patch(path, new { agentId = other });
        var merged = await s.Api.Patch(path, """{"additionalParams":{"language":null,"nested":{"b":2},"vip":true}}""");

        Assert.True(reassigned.Status == HttpStatusCode.OK, reassigned.ToString());
        Assert.Equal(other, reassigned.Body!["agentId"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"greeting":"hello","language":"de","nested":{"a":1}}"""), reassigned.Body!["additionalParams"]));
        Assert.True(merged.Status == HttpStatusCode.OK, merged.ToString());
        Assert.Equal(other, merged.Body!["agentId"]!.GetValue<string>());
        var expected = JsonNode.Parse("""{"greeting":"hello","nested":{"a":1,"b":2},"vip":true}""");
        Assert.True(JsonNode.DeepEquals(expected, merged.Body!["additionalParams"]), merged.ToString());
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse((await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.AdditionalParamsJson!)));

        (await s.Api.Patch(path, """{"agentId":null}""")).AssertProblem(HttpStatusCode.BadRequest, "agentId is required and cannot be removed");
        (await s.Api.Patch(path, """{"region":"EU"}""")).AssertProblem(HttpStatusCode.BadRequest, "region cannot be changed");
        (await s.Api.Patch(path, """{"additionalParams":[1]}""")).AssertProblem(HttpStatusCode.BadRequest, "additionalParams must be a JSON object");

        var cleared = await s.Api.Patch(path, """{"additionalParams":null}""");

        Assert.True(cleared.Status == HttpStatusCode.OK, cleared.ToString());
        Assert.Null(cleared.Body!["additionalParams"]);
        Assert.Null((await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.AdditionalParamsJson);
        Assert.Equal(1, await s.AgentNumberCount(other));
    }

    [Fact]
    public async Task PATCHes_of_different_fields_at_once_all_land()
    {
        var s = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await s.AddOk(number);
        var path = $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}";

        var patches = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => s.Api.Patch(path, $$$"""{"additionalParams":{"p{{{i}}}":{{{i}}}}}""")));

        Assert.All(patches, p => Assert.True(p.Status == HttpStatusCode.OK, p.ToString()));
        var stored = JsonNode.Parse((await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.AdditionalParamsJson!)!.AsObject();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"p{i}").Order(), stored.Select(p => p.Key).Order());
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    public async Task A_PATCH_that_is_not_a_merge_patch_is_refused_as_unsupported(string contentType)
    {
        var s = await NumberSetup.Create(system);
        var before = await s.Api.Get($"/api/agents/{s.AgentId}");

        var response = await s.Api.Send(HttpMethod.Patch, $"/api/agents/{s.AgentId}", """{"title":"Renamed"}""", contentType);

        response.AssertProblem(HttpStatusCode.UnsupportedMediaType,
            "A PATCH body must be a JSON merge patch, sent with Content-Type: application/merge-patch+json");
        Assert.Equal(before.ToString(), (await s.Api.Get($"/api/agents/{s.AgentId}")).ToString());
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_PUT_and_PATCH_of_agents_trunks_and_numbers()
    {
        var document = (await new ApiClient(system.WebAddress, "").Get("/openapi/v1.json")).Body!;
        var paths = document["paths"]!;

        foreach (var path in new[] { "/api/agents/{agentId}", "/api/trunks/{trunkId}", "/api/trunks/{trunkId}/numbers/{phoneNumber}" })
        {
            var put = paths[path]?["put"];
            var patch = paths[path]?["patch"];
            Assert.True(put is not null && patch is not null, $"{path}: {paths[path]?.ToJsonString()}");
            Assert.NotNull(put["requestBody"]?["content"]?["application/json"]?["schema"]);
            Assert.NotNull(patch["requestBody"]?["content"]?["application/merge-patch+json"]?["schema"]);
            Assert.Contains("PATCH", put["description"]!.GetValue<string>());
            Assert.Contains("Merge Patch", patch["summary"]!.GetValue<string>());
        }
        var agentPut = Schema(document, paths["/api/agents/{agentId}"]!["put"]!);
        Assert.Equal(["title", "voice", "voiceEnabled"], agentPut["required"]!.AsArray().Select(n => n!.GetValue<string>()).Order());
    }

    /// <summary>The request body schema of an operation, following a $ref into components.</summary>
    private static JsonNode Schema(JsonNode document, JsonNode operation)
    {
        var schema = operation["requestBody"]!["content"]!["application/json"]!["schema"]!;
        return schema["$ref"]?.GetValue<string>() is { } reference
            ? document["components"]!["schemas"]![reference.Split('/')[^1]]!
            : schema;
    }
}
