using System;
using System.Diagnostics;
using System.Text;

namespace PrismQ.Workers;

/// <summary>Worker ids and host names: the generated default id, name checks, and a file-name-safe form.</summary>
internal static class WorkerIdentity
{
    /// <summary>This machine's name, as recorded in the worker registry.</summary>
    public static string HostName { get; } = SafeMachineName();

    /// <summary>This process's id.</summary>
    public static int ProcessId { get; } = CurrentProcessId();

    /// <summary>A new id: host name, process id and 6 random hex digits, such as <c>build01-4242-9f3a1c</c>.</summary>
    public static string Generate()
    {
        string suffix = Guid.NewGuid().ToString("N").Substring(0, 6);
        string id = $"{HostName}-{ProcessId}-{suffix}";
        return id.Length <= TaskLimits.MaxNameLength ? id : id.Substring(id.Length - TaskLimits.MaxNameLength);
    }

    /// <summary>Throws when <paramref name="value"/> is empty, longer than 200 characters or has a control character.</summary>
    public static void CheckName(string? value, string what, PrismQErrorCode code)
    {
        if (value is null || value.Trim().Length == 0)
            throw new PrismQException(code, $"{what} is '{value}'; it must not be empty or white space.", what, value);
        if (value.Length > TaskLimits.MaxNameLength)
            throw new PrismQException(code, $"{what} is {value.Length} characters long; it must be at most {TaskLimits.MaxNameLength}.", what, value);
        foreach (char c in value)
        {
            if (char.IsControl(c))
                throw new PrismQException(code, $"{what} '{value.Replace("\0", "\\0")}' has a control character (U+{(int)c:X4}); it must have none.", what, value);
        }
    }

    /// <summary>A file name for a worker id: letters, digits, '-', '_' and '.' kept, anything else as '_' + hex code.</summary>
    public static string ToFileName(string workerId)
    {
        var builder = new StringBuilder(workerId.Length + 8);
        foreach (char c in workerId)
        {
            if (c < 128 && (char.IsLetterOrDigit(c) || c == '-' || c == '.')) builder.Append(c);
            else builder.Append('_').Append(((int)c).ToString("x4"));
        }
        return builder.ToString() + ".lock";
    }

    private static string SafeMachineName()
    {
        try
        {
            return Environment.MachineName;
        }
        catch (InvalidOperationException)
        {
            return "localhost";
        }
    }

    private static int CurrentProcessId()
    {
#if NET5_0_OR_GREATER
        return Environment.ProcessId;
#else
        using Process process = Process.GetCurrentProcess();
        return process.Id;
#endif
    }
}
