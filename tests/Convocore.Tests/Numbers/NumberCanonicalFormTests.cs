using System.Net;
using Convocore.Contracts.Numbers;
using Convocore.Silo.Routing;
using Convocore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using PhoneNumbers;

namespace Convocore.Tests.Numbers;

/// <summary>
/// One line, one key: a number is accepted only in libphonenumber's E.164 form of itself, and a call dialled with the
/// national prefix after the country code reaches the number stored without it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class NumberCanonicalFormTests(ConvocoreSystem system)
{
    [Theory]
    [InlineData("+4402079460987", "+442079460987")]
    [InlineData("+44 0 20 7946 0987", "+442079460987")]
    [InlineData("+330198765432", "+33198765432")]
    [InlineData("+33 0 1 98 76 54 32", "+33198765432")]
    [InlineData("+610298765432", "+61298765432")]
    [InlineData("+61 0 2 9876 5432", "+61298765432")]
    [InlineData("+115559876543", "+15559876543")]
    public async Task A_national_prefix_after_the_country_code_is_refused_with_the_canonical_form_as_hint(string phoneNumber, string canonical)
    {
        var s = await NumberSetup.Create(system);

        var response = await s.Add(phoneNumber);

        response.AssertProblem(HttpStatusCode.BadRequest, "Invalid phone number format");
        Assert.Equal($"did you mean {canonical}?", response.Body!["hint"]?.GetValue<string>());
        Assert.Equal(0, await s.NumberCount());
        Assert.Null(await system.Client.GetGrain<IPhoneNumberGrain>(phoneNumber).GetAssignment());
        Assert.Null(await system.Client.GetGrain<IPhoneNumberGrain>(canonical).GetAssignment());
    }

    [Fact]
    public async Task The_second_key_of_a_stored_number_cannot_be_reassigned_or_patched()
    {
        var s = await NumberSetup.Create(system);
        var other = await s.Workspace.CreateAgent("Other");
        await s.AddOk("+442079460988");
        var path = $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped("+4402079460988")}";

        var put = await s.Api.Put(path, new { agentId = other, additionalParams = (object?)null });
        var patch = await s.Api.Patch(path, new { agentId = other });

        foreach (var response in new[] { put, patch })
        {
            response.AssertProblem(HttpStatusCode.BadRequest, "Invalid phone number format");
            Assert.Equal("did you mean +442079460988?", response.Body!["hint"]?.GetValue<string>());
        }
        Assert.Equal(s.AgentId, (await system.Client.GetGrain<IPhoneNumberGrain>("+442079460988").GetAssignment())!.AgentId);
        Assert.Equal(["+442079460988"], await s.ListedNumbers());
    }

    [Theory]
    [InlineData("+4402079460989")]
    [InlineData("004402079460989")]
    [InlineData("0114402079460989")]
    [InlineData("+442079460989")]
    public async Task A_call_dialled_with_the_national_prefix_after_the_country_code_reaches_the_stored_number(string dialed)
    {
        var s = await NumberSetup.Create(system);
        if (await system.Client.GetGrain<IPhoneNumberGrain>("+442079460989").GetAssignment() is null) await s.AddOk("+442079460989");
        var agentId = (await system.Client.GetGrain<IPhoneNumberGrain>("+442079460989").GetAssignment())!.AgentId;

        foreach (var table in system.Cluster.Silos.OfType<InProcessSiloHandle>().Select(silo => silo.SiloHost.Services.GetRequiredService<RoutingTable>()))
        {
            var decision = await table.Route(dialed, null);

            Assert.Equal("+442079460989", decision.PhoneNumber);
            Assert.Null(decision.Failure);
            Assert.Equal(agentId, decision.Number!.AgentId);
        }
    }

    [Theory]
    [InlineData("+4402079460123", null, "+442079460123")]
    [InlineData("004402079460123", null, "+442079460123")]
    [InlineData("4402079460123", null, "+442079460123")]
    [InlineData("02079460123", "GB", "+442079460123")]
    [InlineData("+442079460123", null, "+442079460123")]
    [InlineData("+330123456789", null, "+33123456789")]
    [InlineData("+15551234567", null, "+15551234567")]
    [InlineData("+390612345678", null, "+390612345678")]
    public void NormalizeDialed_gives_the_key_the_number_is_stored_under(string dialed, string? defaultCountry, string expected)
    {
        Assert.Equal(expected, E164.NormalizeDialed(dialed, defaultCountry));
        Assert.True(E164.IsValid(expected));
    }

    /// <summary>
    /// The call path skips libphonenumber where no national prefix can follow the country code; this checks that
    /// shortcut against libphonenumber for every calling code, every first national digit and every length.
    /// </summary>
    [Fact]
    public void NormalizeDialed_agrees_with_libphonenumber_for_every_calling_code()
    {
        var util = PhoneNumberUtil.GetInstance();
        var random = new Random(15);
        var disagreements = new List<string>();
        var compared = 0;
        foreach (var code in util.GetSupportedCallingCodes())
        {
            var prefix = code.ToString();
            for (var first = '0'; first <= '9'; first++)
            {
                for (var length = prefix.Length + 2; length <= 15; length++)
                {
                    for (var sample = 0; sample < 3; sample++)
                    {
                        var rest = string.Concat(Enumerable.Range(0, length - prefix.Length - 1).Select(_ => (char)('0' + random.Next(10))));
                        var digits = prefix + first + rest;
                        // An all-zero national number is no number; libphonenumber's reading of it is arbitrary.
                        if (digits[prefix.Length..].All(c => c == '0')) continue;
                        string expected;
                        try
                        {
                            expected = util.Format(util.Parse("+" + digits, "ZZ"), PhoneNumberFormat.E164);
                        }
                        catch (NumberParseException)
                        {
                            continue;
                        }
                        compared++;
                        if (E164.NormalizeDialed("+" + digits) != expected) disagreements.Add($"+{digits} → {E164.NormalizeDialed("+" + digits)}, libphonenumber {expected}");
                    }
                }
            }
        }
        Assert.True(compared > 50_000, $"only {compared} numbers compared");
        Assert.Empty(disagreements);
    }
}
