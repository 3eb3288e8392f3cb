using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// What every runspace of a worker runs, fixed when the worker starts: the handlers (one for every task type, or one
/// per type, matched ignoring case), the initialization script, the extra arguments, the <c>$using:</c> values and the
/// preference variables the handlers start with.
/// </summary>
internal sealed class HandlerSet
{
    public HandlerSet(HandlerSource? forAll, IReadOnlyDictionary<string, HandlerSource>? byType, HandlerSource? initialization,
        object?[] arguments, Hashtable? usingValues, object[] preferences)
    {
        ForAll = forAll;
        ByType = byType;
        Initialization = initialization;
        Arguments = arguments;
        UsingValues = usingValues;
        Preferences = preferences;
    }

    /// <summary>The handler of every task type, or null when <see cref="ByType"/> is used.</summary>
    public HandlerSource? ForAll { get; }

    /// <summary>The handlers by task type (keys ignore case), or null when <see cref="ForAll"/> is used.</summary>
    public IReadOnlyDictionary<string, HandlerSource>? ByType { get; }

    /// <summary>Run once in each runspace before its first handler (<c>-InitializationScript</c>), or null.</summary>
    public HandlerSource? Initialization { get; }

    /// <summary>Passed to every handler after the task (<c>-ArgumentList</c>).</summary>
    public object?[] Arguments { get; }

    /// <summary>The <c>$using:</c> values (see <see cref="Handlers.UsingValues"/>), or null when no script has any.</summary>
    public Hashtable? UsingValues { get; }

    /// <summary>
    /// The values of <c>$VerbosePreference</c> and <c>$DebugPreference</c> in the handlers: the worker's <c>-Verbose</c>
    /// and <c>-Debug</c>, else the caller's preference variables.
    /// </summary>
    public object[] Preferences { get; }

    /// <summary>Every scriptblock of the set, for the <c>$using:</c> scan.</summary>
    public static IEnumerable<ScriptBlock> Blocks(ScriptBlock? forAll, IEnumerable<ScriptBlock>? byType, ScriptBlock? initialization)
    {
        if (forAll is not null) yield return forAll;
        if (byType is not null)
            foreach (ScriptBlock block in byType) yield return block;
        if (initialization is not null) yield return initialization;
    }

    /// <summary>The handlers as one runspace runs them: its own compiled copies (call on the runspace's thread).</summary>
    public CompiledHandlers Compile()
    {
        if (ForAll is not null) return new CompiledHandlers(ForAll.Compile(), null);
        var table = new Dictionary<string, ScriptBlock>(StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, HandlerSource> entry in ByType!) table[entry.Key] = entry.Value.Compile();
        return new CompiledHandlers(null, table);
    }
}
