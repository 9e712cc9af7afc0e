using Convocore.Silo.Numbers;

namespace Convocore.Silo;

internal static class SiloServices
{
    /// <summary>What our grains need besides Orleans itself; the tests' silos call this too.</summary>
    public static IServiceCollection AddConvocoreSilo(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<NumberIndex>();
        services.AddHostedService<PendingChangeSweeper>();
        return services;
    }
}
