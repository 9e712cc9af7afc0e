using System.Text.Json.Serialization;

namespace Convocore.Contracts.Workspaces;

[JsonConverter(typeof(JsonStringEnumConverter<Plan>))]
public enum Plan
{
    Free,
    Pro,
    Enterprise,
}

public static class Plans
{
    /// <summary>How many numbers a plan allows; null means no limit.</summary>
    public static int? NumberLimit(this Plan plan) => plan switch
    {
        Plan.Free => 5,
        Plan.Pro => 50,
        Plan.Enterprise => null,
        _ => throw new ArgumentOutOfRangeException(nameof(plan)),
    };

    public static bool TryParse(string? text, out Plan plan) =>
        Enum.TryParse(text, ignoreCase: true, out plan) && Enum.IsDefined(plan) && !int.TryParse(text, out _);
}
