using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Convocore service gets for free: OpenTelemetry, health endpoints, service discovery, resilient
/// HTTP clients, and Orleans settings that match what the AppHost passes (so a service also runs on its own).
/// </summary>
public static class Extensions
{
    /// <summary>Meter and activity source names that our own code uses; all start with this prefix.</summary>
    public const string TelemetryPrefix = "Convocore";

    internal const string HealthEndpointPath = "/health";
    internal const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>
    /// Aspire passes Orleans settings as environment variables (Orleans__Clustering__ProviderType=Redis ...).
    /// Started on its own with only ConnectionStrings__redis, a service gets the same settings from here;
    /// anything set in configuration wins, since these are added as the lowest-priority source.
    /// </summary>
    public static TBuilder AddOrleansConfigurationDefaults<TBuilder>(this TBuilder builder, bool silo) where TBuilder : IHostApplicationBuilder
    {
        var defaults = new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = "convocore",
            ["Orleans:ServiceId"] = "convocore",
            ["Orleans:Clustering:ProviderType"] = "Redis",
            ["Orleans:Clustering:ServiceKey"] = "redis",
            // Grain calls carry the trace of the request that made them (Aspire sets the same).
            ["Orleans:EnableDistributedTracing"] = "true",
        };
        if (silo)
        {
            defaults["Orleans:GrainStorage:Default:ProviderType"] = "Redis";
            defaults["Orleans:GrainStorage:Default:ServiceKey"] = "redis";
            defaults["Orleans:Reminders:ProviderType"] = "Redis";
            defaults["Orleans:Reminders:ServiceKey"] = "redis";
        }
        if (builder.Configuration is IConfigurationBuilder configurationBuilder)
        {
            configurationBuilder.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = defaults });
        }
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix + ".*", "Microsoft.Orleans"))
            .WithTracing(tracing => tracing.AddConvocoreTracing(builder.Environment.ApplicationName));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>/health: every check must pass (readiness). /alive: only the "live" ones (the process answers).</summary>
    /// <param name="showDetails">Who sees each check with its data; everyone when null. Others get the status only.</param>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, Func<HttpContext, bool>? showDetails = null)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthResponse.Writer(showDetails) });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}
