using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>The public contract of issue 5, checked against the cmdlet assembly's attributes.</summary>
public sealed class CmdletContractTests
{
    // Get-Verb on PowerShell 7.4: every approved verb.
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip", "Split",
        "Step", "Switch", "Undo", "Unlock", "Watch", "Connect", "Disconnect", "Read", "Receive", "Send", "Write", "Backup",
        "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand", "Export", "Group",
        "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync", "Unpublish", "Update",
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke", "Register",
        "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait", "Debug", "Measure",
        "Ping", "Repair", "Resolve", "Test", "Trace", "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect", "Use",
    };

    private const string All = ParameterRow.AllSets;
    private static ParameterRow P(string name, string type, int? pos = null, bool mandatory = false, string set = All, bool pipeline = false, bool byName = false) =>
        new(name, type, pos, mandatory, set, pipeline, byName);

    private static readonly ParameterRow Database = P("Database", "String");

    /// <summary>The contract: cmdlet → (changes state, output types, parameters).</summary>
    internal static readonly Dictionary<string, (bool ChangesState, Type[] Outputs, ParameterRow[] Parameters)> Contract = new()
    {
        ["Initialize-PrismQDatabase"] = (true, new[] { typeof(DatabaseInfo) }, new[] { Database, P("Durability", "Durability") }),
        ["Add-PrismQTask"] = (false, new[] { typeof(TaskInfo) }, new[]
        {
            Database, P("Type", "String", 0, true), P("Payload", "Object", 1, pipeline: true), P("Queue", "String"), P("Priority", "Int32"),
            P("Delay", "TimeSpan", mandatory: true, set: "Delay"), P("NotBefore", "DateTime", mandatory: true, set: "NotBefore"),
            P("MaxAttempts", "Int32"), P("Timeout", "TimeSpan"), P("IdempotencyKey", "String"),
        }),
        ["Get-PrismQTask"] = (false, new[] { typeof(TaskInfo) }, new[]
        {
            Database, P("Id", "Int64[]", 0, true, "Id", byName: true), P("Queue", "String", set: "Filter"), P("Type", "String", set: "Filter"),
            P("Status", "TaskStatus[]", set: "Filter"), P("First", "Int32", set: "Filter"),
        }),
        ["Wait-PrismQTask"] = (false, new[] { typeof(TaskInfo) }, new[] { Database, P("Id", "Int64[]", 0, true, byName: true), P("Timeout", "TimeSpan") }),
        ["Stop-PrismQTask"] = (true, new[] { typeof(TaskInfo) }, new[] { Database, P("Id", "Int64[]", 0, true, byName: true), P("PassThru", "SwitchParameter") }),
        ["Restart-PrismQTask"] = (true, new[] { typeof(TaskInfo) }, new[] { Database, P("Id", "Int64[]", 0, true, byName: true), P("PassThru", "SwitchParameter") }),
        ["Remove-PrismQTask"] = (true, new[] { typeof(void) }, new[]
        {
            Database, P("Id", "Int64[]", 0, true, "Id", byName: true), P("Status", "TaskStatus[]", mandatory: true, set: "Filter"),
            P("OlderThan", "TimeSpan", mandatory: true, set: "Filter"), P("Queue", "String", set: "Filter"),
        }),
        ["Get-PrismQQueue"] = (false, new[] { typeof(QueueInfo) }, new[] { Database, P("Name", "String[]", 0, pipeline: true, byName: true) }),
        ["Suspend-PrismQQueue"] = (true, new[] { typeof(QueueInfo) }, new[] { Database, P("Name", "String", 0, true, pipeline: true, byName: true), P("Force", "SwitchParameter"), P("PassThru", "SwitchParameter") }),
        ["Resume-PrismQQueue"] = (true, new[] { typeof(QueueInfo) }, new[] { Database, P("Name", "String", 0, true, pipeline: true, byName: true), P("PassThru", "SwitchParameter") }),
        ["Start-PrismQWorker"] = (true, new[] { typeof(WorkerRunSummary), typeof(TaskInfo) }, new[]
        {
            Database, P("Handler", "Object", 0, true), P("Queue", "String[]"), P("Strategy", "SchedulingStrategy"), P("Concurrency", "Int32"),
            P("MaxTasks", "Int32"), P("IdleTimeout", "TimeSpan"), P("MaxRunTime", "TimeSpan"), P("LeaseDuration", "TimeSpan"),
            P("WorkerId", "String"), P("PassThru", "SwitchParameter"), P("InitializationScript", "ScriptBlock"), P("ArgumentList", "Object[]"),
        }),
        ["Get-PrismQWorker"] = (false, new[] { typeof(WorkerInfo) }, new[] { Database }),
        ["Set-PrismQTaskProgress"] = (true, new[] { typeof(void) }, new[] { Database, P("Percent", "Int32", 0), P("Message", "String", 1) }),
        ["Write-PrismQTrace"] = (false, new[] { typeof(void) }, new[] { Database, P("Message", "String", 0, true), P("Data", "Object") }),
        ["Get-PrismQTrace"] = (false, new[] { typeof(TraceEvent) }, new[]
        {
            Database, P("TaskId", "Int64[]", byName: true), P("WorkerId", "String"), P("Kind", "String[]"), P("Since", "DateTime"), P("Until", "DateTime"),
            P("IncludeDetail", "SwitchParameter"), P("First", "Int32"),
        }),
        ["Export-PrismQTrace"] = (true, new[] { typeof(FileInfo) }, new[]
        {
            Database, P("Path", "String", 0, true), P("TaskId", "Int64[]", byName: true), P("Since", "DateTime"), P("Until", "DateTime"),
        }),
        ["Invoke-PrismQMaintenance"] = (true, new[] { typeof(MaintenanceReport) }, new[]
        {
            Database, P("PruneFinishedOlderThan", "TimeSpan"), P("Checkpoint", "SwitchParameter"), P("Optimize", "SwitchParameter"), P("IntegrityCheck", "SwitchParameter"),
        }),
        ["Backup-PrismQDatabase"] = (true, new[] { typeof(FileInfo) }, new[] { Database, P("Destination", "String", 0, true), P("Force", "SwitchParameter") }),
    };

    private static readonly IReadOnlyList<CmdletMetadata> Cmdlets = CmdletMetadata.ReadAll();

    [Fact]
    public void The_assembly_has_exactly_the_contract_cmdlets()
    {
        Assert.Equal(Contract.Keys.OrderBy(k => k, StringComparer.Ordinal), Cmdlets.Select(c => c.Name));
    }

    [Fact]
    public void Verbs_are_approved_nouns_are_prefixed_and_classes_are_named_and_sealed()
    {
        foreach (CmdletMetadata c in Cmdlets)
        {
            Assert.True(ApprovedVerbs.Contains(c.Verb), $"{c.Name}: verb '{c.Verb}' is not approved");
            Assert.StartsWith("PrismQ", c.Noun, StringComparison.Ordinal);
            Assert.Equal(c.Verb + c.Noun + "Command", c.Type.Name);
            Assert.True(c.Type.IsSealed && c.Type.IsPublic, $"{c.Type.Name} must be public and sealed");
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "src", "PrismQ.PowerShell", c.Type.Name + ".cs")), $"{c.Type.Name}.cs: one file per cmdlet");
        }
    }

    [Fact]
    public void Parameters_match_the_contract_names_types_positions_sets_and_pipeline_binding()
    {
        foreach (CmdletMetadata c in Cmdlets)
        {
            string[] expected = Contract[c.Name].Parameters.Select(p => p.ToString()).OrderBy(s => s, StringComparer.Ordinal).ToArray();
            string[] actual = c.Parameters.Select(p => p.ToString()).OrderBy(s => s, StringComparer.Ordinal).ToArray();
            Assert.True(expected.SequenceEqual(actual), $"{c.Name}\n expected: {string.Join(", ", expected)}\n actual:   {string.Join(", ", actual)}");
        }
    }

    [Fact]
    public void State_changers_but_Add_support_ShouldProcess_with_ConfirmImpact_at_most_Medium()
    {
        foreach (CmdletMetadata c in Cmdlets)
        {
            Assert.True(Contract[c.Name].ChangesState == c.SupportsShouldProcess, $"{c.Name}: SupportsShouldProcess is {c.SupportsShouldProcess}");
            if (c.SupportsShouldProcess) Assert.True(c.ConfirmImpact <= ConfirmImpact.Medium, $"{c.Name}: ConfirmImpact {c.ConfirmImpact} would prompt under -NonInteractive");
        }

        Assert.False(Cmdlets.Single(c => c.Name == "Add-PrismQTask").SupportsShouldProcess);
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_types()
    {
        foreach (CmdletMetadata c in Cmdlets)
            Assert.Equal(Contract[c.Name].Outputs.Select(t => t.FullName), c.OutputTypes.Select(t => t.FullName));
    }

    [Fact]
    public void Parameter_sets_have_a_default_when_there_are_several()
    {
        foreach (CmdletMetadata c in Cmdlets)
        {
            var sets = c.Parameters.Select(p => p.Set).Where(s => s != All).Distinct().ToList();
            if (sets.Count > 0) Assert.True(c.DefaultParameterSet is not null, $"{c.Name} has sets {string.Join(", ", sets)} but no default");
        }
    }

    [Fact]
    public void Status_and_Strategy_are_the_engine_enums()
    {
        Assert.Equal(typeof(TaskStatus[]), typeof(GetPrismQTaskCommand).GetProperty("Status")!.PropertyType);
        Assert.Equal(typeof(SchedulingStrategy), typeof(StartPrismQWorkerCommand).GetProperty("Strategy")!.PropertyType);
        Assert.Equal(new[] { "Queued", "Running", "Succeeded", "Failed", "Cancelled" }, Enum.GetNames(typeof(TaskStatus)));
        Assert.Equal(new[] { "Fifo", "Lifo", "Priority", "WeightedRandom" }, Enum.GetNames(typeof(SchedulingStrategy)));
    }

    [Fact]
    public void Queue_and_Type_parameters_have_database_completers()
    {
        foreach (CmdletMetadata c in Cmdlets)
        {
            foreach (var property in c.Type.GetProperties().Where(p => p.Name is "Queue" or "Type" && p.GetCustomAttributesData().Any(a => a.AttributeType.FullName == typeof(ParameterAttribute).FullName)))
            {
                CustomAttributeDataHolder completer = new(property.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == typeof(ArgumentCompleterAttribute).FullName));
                Assert.True(completer.Data is not null, $"{c.Name} -{property.Name} has no argument completer");
                Type expected = property.Name == "Queue" ? typeof(QueueNameCompleter) : typeof(TaskTypeCompleter);
                Assert.Equal(expected, (Type)completer.Data!.ConstructorArguments[0].Value!);
            }
        }
    }

    private sealed record CustomAttributeDataHolder(System.Reflection.CustomAttributeData? Data);

    [Fact]
    public void The_manifest_exports_exactly_the_cmdlets_and_is_complete()
    {
        string manifest = File.ReadAllText(Path.Combine(RepoPaths.Root, "PrismQ.psd1"));
        Match block = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\((?<list>[^)]*)\)");
        Assert.True(block.Success);
        string[] exported = Regex.Matches(block.Groups["list"].Value, "'([^']+)'").Select(m => m.Groups[1].Value).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Assert.DoesNotContain(exported, e => e.Contains('*'));
        Assert.Equal(Cmdlets.Select(c => c.Name), exported);
        foreach (string key in new[] { "RootModule", "ModuleVersion", "GUID", "Author", "Description", "CompatiblePSEditions", "PowerShellVersion", "FormatsToProcess", "PrivateData", "PSData", "Tags", "ProjectUri", "LicenseUri", "ReleaseNotes" })
            Assert.Matches(new Regex(@"\b" + key + @"\s*="), manifest);
        Assert.Matches(new Regex(@"CompatiblePSEditions\s*=\s*@\('Desktop', 'Core'\)"), manifest);
        Assert.Matches(new Regex(@"PowerShellVersion\s*=\s*'5\.1'"), manifest);
        Assert.Matches(new Regex(@"FunctionsToExport\s*=\s*@\(\)"), manifest);
        Assert.Matches(new Regex(@"RootModule\s*=\s*'module/bin/PrismQ\.PowerShell\.dll'"), manifest);
        Assert.Contains("ModuleVersion        = '" + CmdletMetadata.CmdletAssembly.GetName().Version!.ToString(3) + "'", manifest);
        Match formats = Regex.Match(manifest, @"FormatsToProcess\s*=\s*@\('([^']+)'\)");
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, formats.Groups[1].Value)));
    }

    /// <summary>Every class the cmdlets output with a PrismQ type name.</summary>
    private static readonly Dictionary<string, Type> OutputClasses = CmdletMetadata.CmdletAssembly.GetTypes()
        .Where(t => t.GetField("PSTypeName", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static) is { IsLiteral: true })
        .ToDictionary(t => (string)t.GetField("PSTypeName")!.GetRawConstantValue()!, t => t);

    [Fact]
    public void Every_output_type_has_a_table_or_list_view_and_every_view_binds_to_real_properties()
    {
        XDocument format = XDocument.Load(Path.Combine(RepoPaths.Root, "module", "PrismQ.Format.ps1xml"));
        var views = format.Descendants("View").ToList();
        var typeNames = views.SelectMany(v => v.Descendants("TypeName")).Select(t => t.Value).ToList();
        Assert.Equal(OutputClasses.Keys.OrderBy(s => s), typeNames.OrderBy(s => s));
        Assert.Equal(new[] { "PrismQ.DatabaseInfo", "PrismQ.MaintenanceReport", "PrismQ.QueueInfo", "PrismQ.TaskInfo", "PrismQ.TraceEvent", "PrismQ.WorkerInfo", "PrismQ.WorkerRunSummary" }, OutputClasses.Keys.OrderBy(s => s));
        foreach (XElement view in views)
        {
            Type type = OutputClasses[view.Descendants("TypeName").Single().Value];
            Assert.Equal("PrismQ." + type.Name, view.Descendants("TypeName").Single().Value);
            XElement? table = view.Element("TableControl");
            XElement? list = view.Element("ListControl");
            Assert.True(table is null != (list is null), $"{view.Element("Name")!.Value} has one table or one list");
            if (table is not null)
            {
                // PowerShell 7 sizes a table whose first column has no width from its data, then drops what does not
                // fit; the fixed columns leave room at 80 columns for the flexible ones (tests/Formats.Tests.ps1 renders them).
                var headers = table.Descendants("TableColumnHeader").ToList();
                Assert.Equal(headers.Count, table.Descendants("TableColumnItem").Count());
                Assert.NotNull(headers[0].Element("Width"));
                int fixedWidth = headers.Sum(h => h.Element("Width") is { } w ? int.Parse(w.Value, System.Globalization.CultureInfo.InvariantCulture) : 0) + headers.Count - 1;
                Assert.True(fixedWidth <= 70, $"{view.Element("Name")!.Value}: fixed columns and separators take {fixedWidth} of 80 columns");
                Assert.Null(view.Element("OutOfBand"));
            }
            else
            {
                // A report a command returns once: out of band, so a table that follows it in a script stays a table.
                Assert.NotNull(view.Element("OutOfBand"));
            }

            foreach (string property in view.Descendants("PropertyName").Select(p => p.Value))
                Assert.True(type.GetProperty(property) is not null, $"{type.Name} has no property {property}");
            foreach (string script in view.Descendants("ScriptBlock").Select(p => p.Value))
                foreach (Match m in Regex.Matches(script, @"\$_\.(\w+)"))
                    Assert.True(type.GetProperty(m.Groups[1].Value) is not null, $"{type.Name} has no property {m.Groups[1].Value} (used in '{script}')");
        }

        foreach (CmdletMetadata c in Cmdlets)
            foreach (Type output in c.OutputTypes.Where(t => t.Assembly == CmdletMetadata.CmdletAssembly))
                Assert.Contains(output, OutputClasses.Values);
    }
}
