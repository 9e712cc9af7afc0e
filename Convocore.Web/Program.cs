using Convocore.Web;
using Convocore.Web.Agents;
using Convocore.Web.Analytics;
using Convocore.Web.Api;
using Convocore.Web.Audit;
using Convocore.Web.Dashboard;
using Convocore.Web.Numbers;
using Convocore.Web.TestCalls;
using Convocore.Web.Trunks;
using Convocore.Web.Webhooks;
using Convocore.Web.Workspaces;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddOrleansConfigurationDefaults(silo: false);
builder.AddKeyedRedisClient("redis");
builder.UseOrleansClient();
builder.Services.AddHealthChecks()
    .AddCheck<ClusterHealthCheck>("cluster")
    .AddCheck<AsteriskHealthCheck>("asterisk");
builder.Services.AddConvocoreApi();
builder.Services.AddDashboard();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
// HTTPS from here on, also behind a TLS-terminating proxy (ASPNETCORE_FORWARDEDHEADERS_ENABLED=true lets it say so).
if (!app.Environment.IsDevelopment()) app.UseHsts();
app.UseDashboardPages();
app.UseFailedAuthenticationGate();
app.UseAuthentication();
app.UseAuditActor();
app.UseRateLimiter();
app.UseCsrfHeaderCheck();
app.UseAuthorization();
// The checks name silo addresses, Asterisk servers and versions: for the operator only.
app.MapDefaultEndpoints(showDetails: context => context.User.IsInRole(ApiKeyAuthenticationHandler.OperatorRole));
app.MapOpenApi();
var api = app.MapGroup("").CheckRouteValues();
api.MapWorkspaceEndpoints();
api.MapAgentEndpoints();
api.MapTrunkEndpoints();
api.MapNumberEndpoints();
api.MapNumberListEndpoints();
api.MapNumberImportEndpoints();
api.MapRouteCheckEndpoints();
api.MapAnalyticsEndpoints();
api.MapTestCallEndpoints();
api.MapWebhookEndpoints();
api.MapRoutingHookEndpoints();
api.MapAuditEndpoints();
app.MapDashboard();
app.Run();
