namespace Convocore.Contracts.Numbers;

/// <param name="Search">Matches a part of the number's digits, or a part of its agent's title (case-insensitive).</param>
[GenerateSerializer, Immutable, Alias("convocore.number-query")]
public sealed record NumberQuery(
    [property: Id(0)] string? Search,
    [property: Id(1)] string? AgentId,
    [property: Id(2)] string? TrunkId,
    [property: Id(3)] string? Cursor,
    [property: Id(4)] int Limit);

/// <summary>
/// The numbers of a workspace across its trunks, read from the number lists and the numbers' stored state (no phone
/// number grain is activated): the global listing and the export. Stateless; the caller names the workspace.
/// </summary>
[Alias("convocore.number-directory")]
public interface INumberDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>A page in E.164 order after <see cref="NumberQuery.Cursor"/>; refused when the trunk or agent filter is not the workspace's.</summary>
    Task<Common.Outcome<NumberPage>> List(string workspaceId, NumberQuery query);

    /// <summary>Every number of the workspace, in E.164 order.</summary>
    Task<IReadOnlyList<NumberInfo>> Export(string workspaceId);
}
