using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>Completes <c>-Queue</c> and <c>-Name</c> with the queue names of the database the command line names.</summary>
public sealed class QueueNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompleterSupport.Results(CompletionCore.Queues(CompleterSupport.DatabasePath(fakeBoundParameters), wordToComplete));
}

/// <summary>Completes <c>-Type</c> with the task types found among the newest tasks of the database the command line names.</summary>
public sealed class TaskTypeCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompleterSupport.Results(CompletionCore.Types(CompleterSupport.DatabasePath(fakeBoundParameters), wordToComplete));
}

internal static class CompleterSupport
{
    public static string DatabasePath(IDictionary fakeBoundParameters)
    {
        string? parameter = fakeBoundParameters is not null && fakeBoundParameters.Contains("Database") ? fakeBoundParameters["Database"] as string : null;
        string current = Environment.CurrentDirectory;
        try
        {
            Runspace? runspace = Runspace.DefaultRunspace;
            if (runspace is not null) current = runspace.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath;
        }
        catch (Exception ex) when (ex is InvalidOperationException || ex is PSInvalidOperationException || ex is NotSupportedException)
        {
            // No usable runspace on this thread: the process directory will do.
        }

        try
        {
            return StoreCache.ResolvePath(parameter, current);
        }
        catch (PrismQException)
        {
            return string.Empty;
        }
    }

    public static IEnumerable<CompletionResult> Results(IReadOnlyList<string> names)
    {
        foreach (string name in names)
        {
            string text = name.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', ',', ';', '(', ')', '{', '}', '@', '#' }) >= 0 ? "'" + name.Replace("'", "''") + "'" : name;
            yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, name);
        }
    }
}
