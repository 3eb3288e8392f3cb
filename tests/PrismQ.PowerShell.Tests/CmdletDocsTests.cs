using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>docs/cmdlets holds one platyPS page per cmdlet, documenting exactly the cmdlet's parameters.</summary>
public sealed class CmdletDocsTests
{
    private static readonly string Folder = Path.Combine(RepoPaths.Root, "docs", "cmdlets");
    private static readonly IReadOnlyList<CmdletMetadata> Cmdlets = CmdletMetadata.ReadAll();

    [Fact]
    public void There_is_exactly_one_page_per_cmdlet()
    {
        string[] pages = Directory.GetFiles(Folder, "*.md").Select(Path.GetFileNameWithoutExtension).OrderBy(s => s, StringComparer.Ordinal).ToArray()!;
        Assert.Equal(Cmdlets.Select(c => c.Name), pages);
    }

    public static TheoryData<string> CmdletNames()
    {
        var data = new TheoryData<string>();
        foreach (CmdletMetadata c in CmdletMetadata.ReadAll()) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Each_page_follows_the_platyPS_schema_and_documents_exactly_the_parameters(string name)
    {
        CmdletMetadata cmdlet = Cmdlets.Single(c => c.Name == name);
        string text = File.ReadAllText(Path.Combine(Folder, name + ".md")).Replace("\r\n", "\n");

        Match front = Regex.Match(text, @"\A---\n(?<body>.*?)\n---\n", RegexOptions.Singleline);
        Assert.True(front.Success, "front matter");
        foreach (string key in new[] { "external help file: PrismQ.PowerShell.dll-Help.xml", "Module Name: PrismQ", "online version:", "schema: 2.0.0" })
            Assert.Contains(key, front.Groups["body"].Value);

        string[] headings = Regex.Matches(text, @"^(#{1,2}) (.+)$", RegexOptions.Multiline).Select(m => m.Value).ToArray();
        Assert.Equal(new[] { "# " + name, "## SYNOPSIS", "## SYNTAX", "## DESCRIPTION", "## EXAMPLES", "## PARAMETERS", "## INPUTS", "## OUTPUTS", "## NOTES", "## RELATED LINKS" }, headings);
        Assert.True(Regex.Matches(text, @"^### Example \d+", RegexOptions.Multiline).Count >= 2, "at least two examples");
        Assert.False(string.IsNullOrWhiteSpace(Section(text, "SYNOPSIS")));
        Assert.False(string.IsNullOrWhiteSpace(Section(text, "DESCRIPTION")));

        var expected = cmdlet.Parameters.Select(p => p.Name).Distinct().ToList();
        if (cmdlet.SupportsShouldProcess) expected.AddRange(new[] { "Confirm", "WhatIf" });
        string parameters = Section(text, "PARAMETERS");
        var documented = Regex.Matches(parameters, @"^### -(\w+)\n(?<desc>.*?)\n```yaml\n(?<yaml>.*?)```", RegexOptions.Multiline | RegexOptions.Singleline).ToList();
        Assert.Equal(expected.OrderBy(s => s, StringComparer.Ordinal), documented.Select(m => m.Groups[1].Value).OrderBy(s => s, StringComparer.Ordinal));
        Assert.Contains("### CommonParameters", parameters);

        foreach (Match doc in documented)
        {
            string param = doc.Groups[1].Value;
            Assert.False(string.IsNullOrWhiteSpace(doc.Groups["desc"].Value), $"-{param} has no description");
            Dictionary<string, string> yaml = doc.Groups["yaml"].Value.Split('\n').Where(l => l.Contains(':'))
                .ToDictionary(l => l.Substring(0, l.IndexOf(':')), l => l.Substring(l.IndexOf(':') + 1).Trim());
            foreach (string key in new[] { "Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters" })
                Assert.True(yaml.ContainsKey(key), $"-{param}: yaml has no '{key}'");
            if (param is "WhatIf" or "Confirm")
            {
                Assert.Equal("SwitchParameter", yaml["Type"]);
                continue;
            }

            List<ParameterRow> rows = cmdlet.Parameters.Where(p => p.Name == param).ToList();
            Assert.Equal(rows[0].Type, yaml["Type"]);
            Assert.Equal(rows[0].Position?.ToString() ?? "Named", yaml["Position"]);
            Assert.Equal(rows.Any(r => r.Mandatory) ? "True" : "False", yaml["Required"]);
            Assert.Equal(rows.Any(r => r.Pipeline || r.ByPropertyName), yaml["Accept pipeline input"].StartsWith("True", StringComparison.Ordinal));
            string[] sets = rows.Select(r => r.Set == ParameterRow.AllSets ? "(All)" : r.Set).OrderBy(s => s).ToArray();
            Assert.Equal(sets, yaml["Parameter Sets"].Split(',').Select(s => s.Trim()).OrderBy(s => s).ToArray());
            string[] aliases = cmdlet.Aliases.TryGetValue(param, out string[]? a) ? a : Array.Empty<string>();
            Assert.Equal(aliases, yaml["Aliases"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).ToArray());
        }

        string syntax = Section(text, "SYNTAX");
        foreach (string param in cmdlet.Parameters.Select(p => p.Name).Distinct())
            Assert.Contains("-" + param, syntax);
        foreach (Type output in cmdlet.OutputTypes.Where(t => t != typeof(void)))
            Assert.Contains("### " + (output.Assembly == CmdletMetadata.CmdletAssembly ? "PrismQ." + output.Name : output.FullName), Section(text, "OUTPUTS"));
    }

    [Fact]
    public void The_about_topic_exists_and_names_every_cmdlet()
    {
        string about = File.ReadAllText(Path.Combine(RepoPaths.Root, "module", "en-US", "about_PrismQ.help.txt"));
        Assert.StartsWith("TOPIC", about.TrimStart());
        foreach (CmdletMetadata c in Cmdlets) Assert.Contains(c.Name, about);
    }

    private static string Section(string text, string heading)
    {
        Match m = Regex.Match(text, "^## " + heading + @"\n(?<body>.*?)(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline);
        return m.Success ? m.Groups["body"].Value : string.Empty;
    }
}
