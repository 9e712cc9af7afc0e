using Convocore.Silo.Outbound;

namespace Convocore.Silo.Webhooks;

internal static class WebhookServices
{
    public static IServiceCollection AddConvocoreWebhooks(this IServiceCollection services)
    {
        services.AddOptions<OutboundOptions>().BindConfiguration(OutboundOptions.Section);
        services.AddSingleton<OutboundTargets>();
        services.AddSingleton<OutboundHttp>();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<NumberEvents>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<WebhookSender>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());
        services.AddHostedService<WebhookFanOut>();
        return services;
    }
}
