namespace Convocore.Web.Dashboard;

/// <summary>What POST /api/session answers, for the OpenAPI document.</summary>
internal sealed record SignInResponse(string WorkspaceId);
