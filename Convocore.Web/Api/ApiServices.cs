using Microsoft.AspNetCore.Authentication;

namespace Convocore.Web.Api;

internal static class ApiServices
{
    public static IServiceCollection AddConvocoreApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<ServiceUnavailableHandler>();
        services.AddOpenApi(ApiDocument.Configure);
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Principals.WorkspacePolicy, p => p.RequireClaim(ApiKeyAuthenticationHandler.WorkspaceClaim))
            .AddPolicy(Principals.OperatorPolicy, p => p.RequireRole(ApiKeyAuthenticationHandler.OperatorRole));
        services.AddConvocoreRateLimits();
        return services;
    }
}
