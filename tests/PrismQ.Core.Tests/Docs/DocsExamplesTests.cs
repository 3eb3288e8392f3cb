using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace PrismQ.Tests.Docs;

/// <summary>
/// Every ```csharp block in README.md and docs/ compiles against PrismQ.Core, as a user's .NET console app would
/// (with the SDK's default implicit usings). A block fenced as ```csharp ignore is skipped on purpose.
/// </summary>
public sealed class DocsExamplesTests
{
    private static readonly string[] ImplicitUsings =
    {
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    };

    private static readonly Regex Fence = new(@"^```csharp[ \t]*(?<info>[^\r\n]*)\r?\n(?<code>.*?)^```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline);

    public static IEnumerable<object[]> Blocks()
    {
        string root = RepositoryRoot();
        var files = new List<string> { Path.Combine(root, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories));
        foreach (string file in files.Where(File.Exists).OrderBy(f => f, StringComparer.Ordinal))
        {
            string text = File.ReadAllText(file);
            foreach (Match m in Fence.Matches(text))
            {
                if (m.Groups["info"].Value.Trim() == "ignore") continue;
                int line = text.Take(m.Index).Count(c => c == '\n') + 1;
                yield return new object[] { Path.GetRelativePath(root, file).Replace('\\', '/') + ":" + line, m.Groups["code"].Value };
            }
        }
    }

    [Fact]
    public void The_docs_hold_csharp_examples()
    {
        // Guards the extraction itself: if the fence pattern broke, every compile test below would vanish silently.
        Assert.NotEmpty(Blocks());
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Example_compiles(string where, string code)
    {
        string usings = string.Concat(ImplicitUsings.Select(u => "global using " + u + ";\n"));
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(usings, new CSharpParseOptions(LanguageVersion.Latest), path: "implicit-usings.cs"),
            CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest), path: where),
        };
        bool topLevel = trees[1].GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
        var options = new CSharpCompilationOptions(topLevel ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);
        var compilation = CSharpCompilation.Create("DocExample", trees, References.Value, options);
        string[] errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => d.ToString())
            .ToArray();
        Assert.True(errors.Length == 0, where + " does not compile:\n" + string.Join("\n", errors) + "\n---\n" + code);
    }

    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var paths = tpa.Split(Path.PathSeparator).ToList();
        paths.Add(typeof(ITaskStore).Assembly.Location);
        return paths.Distinct(StringComparer.Ordinal).Where(File.Exists).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PrismQ.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("PrismQ.sln not found above " + AppContext.BaseDirectory);
    }
}
