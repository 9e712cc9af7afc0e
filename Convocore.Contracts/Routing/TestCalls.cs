using Convocore.Contracts.Common;

namespace Convocore.Contracts.Routing;

/// <summary>A test call placed through the number's Asterisk; its outcome follows in the call log and on the live feed.</summary>
[GenerateSerializer, Immutable, Alias("convocore.placed-test-call")]
public sealed record PlacedTestCall([property: Id(0)] string CallId, [property: Id(1)] string PhoneNumber, [property: Id(2)] string Server);

/// <summary>What a test call met, as the live feed tells the dashboard: routed to an agent, or refused and why.</summary>
/// <param name="OwnMilliseconds">Our own time: from the StasisStart to the first ARI command.</param>
[GenerateSerializer, Immutable, Alias("convocore.test-call-outcome")]
public sealed record TestCallOutcome(
    [property: Id(0)] string CallId,
    [property: Id(1)] string PhoneNumber,
    [property: Id(2)] string Outcome,
    [property: Id(3)] string? Reason,
    [property: Id(4)] string? AgentId,
    [property: Id(5)] double OwnMilliseconds);

/// <summary>The test calls of one workspace (keyed by its id): at most <see cref="TestCallRules.PerMinute"/> a minute, cluster-wide.</summary>
[Alias("convocore.test-calls")]
public interface ITestCallsGrain : IGrainWithStringKey
{
    Task<Outcome<PlacedTestCall>> Place(string phoneNumber);
}

public static class TestCallRules
{
    public const int PerMinute = 5;

    /// <summary>
    /// The id we give the routed half of a test call's Local channel. Only an ARI client chooses channel ids, never a caller,
    /// so the prefix cannot be spoofed from SIP.
    /// </summary>
    public const string ChannelPrefix = "convocore-test-";

    public static string NoServer(string region) =>
        $"No connected Asterisk server of region {region} could place the test call: try again when /health shows one connected";

    public static string TooMany(int seconds) =>
        $"At most {PerMinute} test calls a minute per workspace: try again in {seconds} s";
}
