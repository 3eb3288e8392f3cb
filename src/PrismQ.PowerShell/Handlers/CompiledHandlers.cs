using System.Collections.Generic;
using System.Management.Automation;

namespace PrismQ.PowerShell.Handlers;

/// <summary>The handlers of one runspace, ready to call.</summary>
internal sealed class CompiledHandlers
{
    private readonly ScriptBlock? _forAll;
    private readonly Dictionary<string, ScriptBlock>? _byType;

    public CompiledHandlers(ScriptBlock? forAll, Dictionary<string, ScriptBlock>? byType)
    {
        _forAll = forAll;
        _byType = byType;
    }

    /// <summary>The handler of <paramref name="type"/> (the worker only hands over tasks of a type it has a handler for).</summary>
    public ScriptBlock For(string type) => _forAll ?? _byType![type];
}
