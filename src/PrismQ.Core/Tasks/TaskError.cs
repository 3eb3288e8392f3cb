namespace PrismQ;

/// <summary>The last error of a task: a message, the error's type name and optional detail (such as a stack trace).</summary>
public sealed class TaskError
{
    /// <summary>Creates an error.</summary>
    public TaskError(string message, string? type = null, string? detail = null)
    {
        Message = message ?? string.Empty;
        Type = type;
        Detail = detail;
    }

    /// <summary>The error message.</summary>
    public string Message { get; }

    /// <summary>The type of the error (for example an exception's full type name), if known.</summary>
    public string? Type { get; }

    /// <summary>More detail, such as a stack trace.</summary>
    public string? Detail { get; }

    /// <inheritdoc />
    public override string ToString() => Type is null ? Message : Type + ": " + Message;
}
