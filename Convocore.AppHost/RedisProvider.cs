using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Orleans;

/// <summary>
/// Aspire.Hosting.Orleans names the Orleans provider after the resource's type: right for a RedisResource,
/// wrong for our local redis-server process. This says "Redis" whichever of the two runs.
/// </summary>
internal sealed class RedisProvider(IResourceBuilder<IResourceWithConnectionString> redis) : IProviderConfiguration
{
    public static RedisProvider For(IResourceBuilder<IResourceWithConnectionString> redis) => new(redis);

    public void ConfigureResource<T>(IResourceBuilder<T> resourceBuilder, string configSectionPath) where T : IResourceWithEnvironment
    {
        resourceBuilder
            .WithEnvironment($"Orleans__{configSectionPath}__ProviderType", "Redis")
            .WithEnvironment($"Orleans__{configSectionPath}__ServiceKey", redis.Resource.Name)
            .WithReference(redis);
    }
}
