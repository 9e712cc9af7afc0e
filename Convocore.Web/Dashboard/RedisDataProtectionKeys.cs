using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using StackExchange.Redis;

namespace Convocore.Web.Dashboard;

/// <summary>
/// The data protection key ring in Redis, so a session cookie issued by one web replica is read by every other
/// (and survives a restart). Keys are stored as ASP.NET Core writes them to disk by default on Linux: unencrypted,
/// so Redis must be as private as the web app's own file system.
/// </summary>
internal sealed class RedisDataProtectionKeys(IConnectionMultiplexer redis) : IXmlRepository
{
    private const string Key = "convocore:web:data-protection-keys";

    public IReadOnlyCollection<XElement> GetAllElements() =>
        redis.GetDatabase().ListRange(Key).Select(value => XElement.Parse(value.ToString())).ToArray();

    public void StoreElement(XElement element, string friendlyName) =>
        redis.GetDatabase().ListRightPush(Key, element.ToString(SaveOptions.DisableFormatting));

    public static IServiceCollection AddRedisDataProtection(IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("convocore-web");
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((options, provider) =>
            options.XmlRepository = new RedisDataProtectionKeys(provider.GetRequiredKeyedService<IConnectionMultiplexer>("redis")));
        return services;
    }
}
