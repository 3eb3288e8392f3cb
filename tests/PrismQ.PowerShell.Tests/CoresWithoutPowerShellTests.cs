using System;
using System.Collections.Specialized;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>
/// The cores must run where PowerShell is absent: they are loaded here into a context that refuses to load
/// System.Management.Automation, and run. Any core touching a PowerShell type would fail to JIT.
/// </summary>
public sealed class CoresWithoutPowerShellTests
{
    private sealed class NoPowerShellContext : AssemblyLoadContext
    {
        public NoPowerShellContext() : base("no-powershell", isCollectible: true)
        {
        }

        public int RefusedPowerShell { get; private set; }

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name == "System.Management.Automation")
            {
                RefusedPowerShell++;
                throw new FileNotFoundException("PowerShell is not available in this context.");
            }

            string path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            return name.Name is "PrismQ.PowerShell" or "PrismQ.Core" && File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }

    [Fact]
    public void Payload_mapping_completion_and_loader_cores_run_without_System_Management_Automation()
    {
        var context = new NoPowerShellContext();
        try
        {
            Assembly module = context.LoadFromAssemblyName(new AssemblyName("PrismQ.PowerShell"));
            Assembly core = context.LoadFromAssemblyName(new AssemblyName("PrismQ.Core"));
            Assert.NotSame(typeof(AddPrismQTaskCommand).Assembly, module);

            Type payload = module.GetType("PrismQ.PowerShell.Cores.PayloadJson", throwOnError: true)!;
            var value = new OrderedDictionary { ["a"] = new object[] { 1, "x", true } };
            string json = (string)payload.GetMethod("Serialize")!.Invoke(null, new object?[] { value })!;
            Assert.Equal("{\"a\":[1,\"x\",true]}", json);
            Assert.IsType<OrderedDictionary>(payload.GetMethod("Deserialize")!.Invoke(null, new object?[] { json }));

            object record = Activator.CreateInstance(core.GetType("PrismQ.TaskRecord", throwOnError: true)!)!;
            Type mapper = module.GetType("PrismQ.PowerShell.Cores.TaskInfoMapper", throwOnError: true)!;
            object info = mapper.GetMethod("ToTaskInfo")!.Invoke(null, new[] { record })!;
            Assert.Equal("PrismQ.TaskInfo", info.GetType().FullName);

            Type completion = module.GetType("PrismQ.PowerShell.Cores.CompletionCore", throwOnError: true)!;
            Assert.NotNull(completion.GetMethod("Matching")!.Invoke(null, new object?[] { new[] { "abc" }, "a" }));
            Type loader = module.GetType("PrismQ.PowerShell.Cores.EngineLoader", throwOnError: true)!;
            Assert.NotNull(loader.GetMethod("CurrentRid")!.Invoke(null, null));
            Type cache = module.GetType("PrismQ.PowerShell.Cores.StoreCache", throwOnError: true)!;
            Assert.EndsWith("x.db", (string)cache.GetMethod("ResolvePath")!.Invoke(null, new object?[] { "x.db", Path.GetTempPath() })!);

            Assert.Equal(0, context.RefusedPowerShell);
        }
        finally
        {
            context.Unload();
        }
    }
}
