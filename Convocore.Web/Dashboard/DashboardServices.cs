using Convocore.Web.Live;

namespace Convocore.Web.Dashboard;

internal static class DashboardServices
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddDashboardSession();
        RedisDataProtectionKeys.AddRedisDataProtection(services);
        services.AddSignalR();
        services.AddSingleton<WorkspaceFeeds>();
        services.AddHostedService(provider => provider.GetRequiredService<WorkspaceFeeds>());
        services.AddSingleton<LiveConnections>();
        services.AddHostedService(provider => provider.GetRequiredService<LiveConnections>());
        return services;
    }

    /// <summary>Security headers and the static single page; must run before authentication so assets need none.</summary>
    public static IApplicationBuilder UseDashboardPages(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            // No inline script or style anywhere, so a string that slips into markup still cannot run.
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
                                            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            await next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // Assets are not fingerprinted: revalidate so a deploy is picked up at once.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapDashboardSession();
        app.MapHub<LiveHub>(LiveHub.Path);
    }
}
