using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;

namespace PrismQ.PowerShell.Tests;

/// <summary>One parameter as declared by a [Parameter] attribute (one row per attribute, so per parameter set).</summary>
internal sealed record ParameterRow(string Name, string Type, int? Position, bool Mandatory, string Set, bool Pipeline, bool ByPropertyName)
{
    public override string ToString() =>
        $"{Name}:{Type}{(Position is { } p ? ":pos" + p : "")}{(Mandatory ? ":mandatory" : "")}{(Set == AllSets ? "" : ":@" + Set)}{(Pipeline ? ":pipeline" : "")}{(ByPropertyName ? ":byname" : "")}";

    public const string AllSets = "__AllParameterSets";
}

/// <summary>A cmdlet as declared by its attributes, read with CustomAttributeData (no attribute is instantiated).</summary>
internal sealed class CmdletMetadata
{
    public string Verb = "", Noun = "";
    public string Name => Verb + "-" + Noun;
    public Type Type = null!;
    public bool SupportsShouldProcess;
    public ConfirmImpact ConfirmImpact = ConfirmImpact.Medium;
    public string? DefaultParameterSet;
    public List<Type> OutputTypes = new();
    public List<ParameterRow> Parameters = new();
    public Dictionary<string, string[]> Aliases = new();

    public static Assembly CmdletAssembly => typeof(AddPrismQTaskCommand).Assembly;

    public static IReadOnlyList<CmdletMetadata> ReadAll() =>
        CmdletAssembly.GetTypes().Select(Read).Where(c => c is not null).Select(c => c!).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

    public static CmdletMetadata? Read(Type type)
    {
        CustomAttributeData? cmdlet = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == typeof(CmdletAttribute).FullName);
        if (cmdlet is null) return null;
        var meta = new CmdletMetadata
        {
            Type = type,
            Verb = (string)cmdlet.ConstructorArguments[0].Value!,
            Noun = (string)cmdlet.ConstructorArguments[1].Value!,
        };
        foreach (CustomAttributeNamedArgument named in cmdlet.NamedArguments)
        {
            switch (named.MemberName)
            {
                case nameof(CmdletAttribute.SupportsShouldProcess): meta.SupportsShouldProcess = (bool)named.TypedValue.Value!; break;
                case nameof(CmdletAttribute.ConfirmImpact): meta.ConfirmImpact = (ConfirmImpact)(int)named.TypedValue.Value!; break;
                case nameof(CmdletAttribute.DefaultParameterSetName): meta.DefaultParameterSet = (string)named.TypedValue.Value!; break;
            }
        }

        foreach (CustomAttributeData output in type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == typeof(OutputTypeAttribute).FullName))
            foreach (CustomAttributeTypedArgument arg in output.ConstructorArguments)
                foreach (var item in (IEnumerable<CustomAttributeTypedArgument>)arg.Value!)
                    meta.OutputTypes.Add((Type)item.Value!);

        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            foreach (CustomAttributeData attribute in property.GetCustomAttributesData())
            {
                if (attribute.AttributeType.FullName == typeof(AliasAttribute).FullName)
                    meta.Aliases[property.Name] = ((IEnumerable<CustomAttributeTypedArgument>)attribute.ConstructorArguments[0].Value!).Select(a => (string)a.Value!).ToArray();
                if (attribute.AttributeType.FullName != typeof(ParameterAttribute).FullName) continue;
                int? position = null;
                bool mandatory = false, pipeline = false, byName = false;
                string set = ParameterRow.AllSets;
                foreach (CustomAttributeNamedArgument named in attribute.NamedArguments)
                {
                    switch (named.MemberName)
                    {
                        case nameof(ParameterAttribute.Position): position = (int)named.TypedValue.Value!; break;
                        case nameof(ParameterAttribute.Mandatory): mandatory = (bool)named.TypedValue.Value!; break;
                        case nameof(ParameterAttribute.ParameterSetName): set = (string)named.TypedValue.Value!; break;
                        case nameof(ParameterAttribute.ValueFromPipeline): pipeline = (bool)named.TypedValue.Value!; break;
                        case nameof(ParameterAttribute.ValueFromPipelineByPropertyName): byName = (bool)named.TypedValue.Value!; break;
                    }
                }

                meta.Parameters.Add(new ParameterRow(property.Name, TypeName(property.PropertyType), position, mandatory, set, pipeline, byName));
            }
        }

        return meta;
    }

    /// <summary>A short type name as the tests and docs spell it (String, Int64[], TaskStatus[], SwitchParameter...).</summary>
    public static string TypeName(Type type)
    {
        Type? inner = Nullable.GetUnderlyingType(type);
        return inner is not null ? TypeName(inner) : type.IsArray ? TypeName(type.GetElementType()!) + "[]" : type.Name;
    }
}
