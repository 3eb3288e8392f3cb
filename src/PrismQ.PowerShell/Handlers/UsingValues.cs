using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// The values of the <c>$using:</c> variables of a worker's scriptblocks, read once in the caller's session when the
/// worker starts. They reach every runspace the way PowerShell itself passes them to a script it runs elsewhere
/// (<c>Start-ThreadJob</c>, <c>Invoke-Command</c>): as a table given to the script's hidden <c>--%</c> parameter, keyed by
/// the Base64 of the UTF-16 text of each <c>$using:</c> expression in lower case. The values are shared, not copied:
/// a value that handlers change must be safe to use from several threads (as with <c>ForEach-Object -Parallel</c>).
/// </summary>
internal static class UsingValues
{
    /// <summary>The name of the parameter that carries the values.</summary>
    public const string ParameterName = "--%";

    /// <summary>The values of every <c>$using:</c> in <paramref name="blocks"/>, or null when there is none.</summary>
    /// <exception cref="PrismQException">A <c>$using:</c> of something other than a variable.</exception>
    public static Hashtable? Capture(PSCmdlet cmdlet, IEnumerable<ScriptBlock> blocks)
    {
        Hashtable? values = null;
        foreach (ScriptBlock block in blocks)
        {
            foreach (UsingExpressionAst used in block.Ast.FindAll(ast => ast is UsingExpressionAst, searchNestedScriptBlocks: true).Cast<UsingExpressionAst>())
            {
                if (used.SubExpression is not VariableExpressionAst variable)
                    throw new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"'{used.Extent.Text}' (line {used.Extent.StartLineNumber}) is not a variable; $using: takes a variable, such as $using:path.", "Handler", used.Extent.Text);
                values ??= new Hashtable(StringComparer.Ordinal);
                string key = Key(used);
                if (!values.ContainsKey(key)) values[key] = cmdlet.GetVariableValue(variable.VariablePath.UserPath);
            }
        }

        return values;
    }

    private static string Key(UsingExpressionAst used) =>
        Convert.ToBase64String(Encoding.Unicode.GetBytes(used.ToString().ToLowerInvariant()));
}
