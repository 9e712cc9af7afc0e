namespace Convocore.Web.Dashboard;

/// <summary>What POST /api/session answers.</summary>
internal sealed record SignInResponse(string WorkspaceId);
