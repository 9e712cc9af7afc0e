using System.Runtime.InteropServices;

namespace Convocore.Tests.Infrastructure;

/// <summary>Signals to another process (Linux numbers), for faults a process handle cannot make: pause, resume, terminate.</summary>
internal static class PosixSignal
{
    public const int Terminate = 15;
    public const int Continue = 18;
    public const int Stop = 19;

    public static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
