namespace Convocore.Silo.Workspaces;

/// <summary>
/// Called when a number change has passed its commit point (the phone number grain changed) and before the
/// lists and counts follow. Does nothing in production; the crash tests stop a silo here.
/// </summary>
internal class NumberChangeProbe
{
    public virtual Task Committed(NumberChangeKind kind, string phoneNumber) => Task.CompletedTask;
}
