using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What goes into traces, the same for every service and for the tests that read them: a trace starts only at an
/// ASP.NET Core request (health probes excepted) or at a span our own code starts as a trace of its own (a call); what
/// runs inside a kept trace is kept with it, whatever its source (grain calls, Redis commands, HTTP requests). Everything
/// that starts on its own in the background (Redis polling, grain timers and reminders, the Asterisk connection keeper's
/// grain calls, membership, HttpClient calls outside a request) starts no trace.
/// </summary>
public static class Tracing
{
    /// <summary>
    /// The attribute namespace of our own spans. A root span that carries one of these from its start (passed to
    /// <see cref="ActivitySource.StartActivity(string, ActivityKind, ActivityContext, IEnumerable{KeyValuePair{string, object?}}?, IEnumerable{ActivityLink}?, DateTimeOffset)"/>)
    /// starts a trace: samplers see a span's name, kind and initial attributes, not its source.
    /// </summary>
    public const string AttributePrefix = "convocore.";

    /// <summary>The name ASP.NET Core gives a request's activity when it starts (the route name comes later).</summary>
    public const string AspNetCoreRequest = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    private static readonly string[] OrleansSources =
        ["Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Storage", "Microsoft.Orleans.Lifecycle"];

    /// <summary>Our sources, Orleans', ASP.NET Core's and HttpClient's, sampled as the class says.</summary>
    /// <param name="applicationName">The service's own source name, beside the <c>Convocore.*</c> sources.</param>
    public static TracerProviderBuilder AddConvocoreTracing(this TracerProviderBuilder tracing, string applicationName) => tracing
        // A request whose caller sent an unsampled trace context is still an API request: the root rule decides it, as it
        // decides a grain call whose caller's span was left out (its context arrives as a remote parent too).
        .SetSampler(new ParentBasedSampler(new RootSampler(), remoteParentSampled: null, remoteParentNotSampled: new RootSampler()))
        .AddSource(applicationName, Extensions.TelemetryPrefix + ".*")
        .AddSource(OrleansSources)
        .AddAspNetCoreInstrumentation(options =>
            // Health probes every few seconds would drown the traces that matter.
            options.Filter = context =>
                !context.Request.Path.StartsWithSegments(Extensions.HealthEndpointPath)
                && !context.Request.Path.StartsWithSegments(Extensions.AlivenessEndpointPath))
        .AddHttpClientInstrumentation();

    /// <summary>Decides for spans without a parent: see <see cref="Tracing"/>.</summary>
    internal sealed class RootSampler : Sampler
    {
        private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
        private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

        public RootSampler() => Description = "ConvocoreRoots";

        public override SamplingResult ShouldSample(in SamplingParameters parameters)
        {
            if (parameters.Kind == ActivityKind.Server && parameters.Name == AspNetCoreRequest) return Keep;
            if (parameters.Tags is { } tags)
                foreach (var tag in tags)
                    if (tag.Key.StartsWith(AttributePrefix, StringComparison.Ordinal)) return Keep;
            return Drop;
        }
    }
}
