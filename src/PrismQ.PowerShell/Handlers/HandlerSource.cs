using System;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// One scriptblock of a worker (a handler, or the initialization script) as it crosses into another runspace: its text
/// and where it was written. A scriptblock belongs to the runspace that made it, so each runspace compiles its own copy
/// (<see cref="Compile"/>, once per runspace); the copy is parsed at the original's file, line and column, so that its
/// errors, <c>$PSScriptRoot</c> and <c>$MyInvocation</c> say the same place as the original's would.
/// </summary>
internal sealed class HandlerSource
{
    private readonly string _text;
    private readonly int _line;
    private readonly int _column;

    public HandlerSource(ScriptBlock block)
    {
        Original = block;
        File = string.IsNullOrEmpty(block.File) ? null : block.File;
        IScriptExtent extent = block.Ast.Extent;
        // A literal { ... } keeps its braces in its extent: the copy is what is inside them, one column further.
        bool braced = block.Ast.Parent is ScriptBlockExpressionAst && extent.Text.Length >= 2;
        _text = braced ? extent.Text.Substring(1, extent.Text.Length - 2) : extent.Text;
        _line = Math.Max(1, extent.StartLineNumber);
        _column = Math.Max(1, extent.StartColumnNumber) + (braced ? 1 : 0);
    }

    /// <summary>The scriptblock as the user gave it (run as it is in the user's own runspace).</summary>
    public ScriptBlock Original { get; }

    /// <summary>The file the scriptblock was written in, or null (typed at a prompt, or made from a string).</summary>
    public string? File { get; }

    /// <summary>
    /// A copy for the runspace of the calling thread, at the original's position: the text is parsed after as many line
    /// breaks and spaces as put its first character where the original's was.
    /// </summary>
    public ScriptBlock Compile()
    {
        string placed = new string('\n', _line - 1) + new string(' ', _column - 1) + _text;
        ScriptBlockAst ast = Parser.ParseInput(placed, File, out _, out ParseError[] errors);
        if (errors.Length > 0)
            throw new InvalidOperationException($"The handler's text no longer parses ({errors[0].Message}); this is a PrismQ defect, please report it.");
        return ast.GetScriptBlock();
    }
}
