using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>
/// The PowerShell 7 isolation, on this runtime: the engine and its non-framework dependencies load from module/bin/engine
/// into their own AssemblyLoadContext although this test process already has its own copies in the default context, and
/// the store works there, with SQLite bound from the engine folder's native file.
/// </summary>
public sealed class EngineContextTests
{
    private static readonly string Engine = Path.Combine(RepoPaths.Root, "module", "bin", EngineLoader.EngineFolderName);

    [Fact]
    public void The_engine_runs_in_its_own_load_context_with_the_shipped_dependencies_and_native_sqlite()
    {
        EngineContext engine = EngineContext.Create(Engine);
        var context = (AssemblyLoadContext)engine.Context;
        Assert.Equal("PrismQ", context.Name);
        Assert.NotSame(AssemblyLoadContext.Default, context);

        Assembly core = engine.Resolve(new AssemblyName("PrismQ.Core"))!;
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(core));
        Assert.NotSame(typeof(TaskRecord).Assembly, core);
        Assert.Equal(Path.Combine(Engine, "PrismQ.Core.dll"), core.Location);
        Assert.Null(engine.Resolve(new AssemblyName("Not.Shipped")));

        string folder = Path.Combine(Path.GetTempPath(), "prismq-alc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            Type storeType = core.GetType("PrismQ.SqliteTaskStore", throwOnError: true)!;
            var store = (IDisposable)storeType.GetMethod("Open", new[] { typeof(string) })!.Invoke(null, new object[] { Path.Combine(folder, "q.db") })!;
            using (store)
            {
                Type requestType = core.GetType("PrismQ.EnqueueRequest", throwOnError: true)!;
                object request = Activator.CreateInstance(requestType, "isolated", "{\"n\":1}")!;
                var pending = (Task)storeType.GetMethod("EnqueueAsync")!.Invoke(store, new[] { request, CancellationToken.None })!;
                pending.GetAwaiter().GetResult();
                object result = pending.GetType().GetProperty("Result")!.GetValue(pending)!;
                object task = result.GetType().GetProperty("Task")!.GetValue(result)!;
                Assert.Equal("isolated", task.GetType().GetProperty("Type")!.GetValue(task));
            }

            foreach (Assembly loaded in context.Assemblies)
                Assert.StartsWith(Engine, loaded.Location);
            Assert.Contains(context.Assemblies, a => a.GetName().Name == "Microsoft.Data.Sqlite");
            Assert.Contains(context.Assemblies, a => a.GetName().Name == "SQLitePCLRaw.provider.e_sqlite3");
            Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name == "System.Memory");
            Assert.True(engine.NativeLoads >= 1, "e_sqlite3 was not bound from the engine folder");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public void Framework_assemblies_stay_the_frameworks_when_recent_enough()
    {
        Assert.True(EngineContext.FrameworkProvides(new AssemblyName("System.Memory, Version=4.0.1.2")));
        Assert.False(EngineContext.FrameworkProvides(new AssemblyName("System.Memory, Version=99.0.0.0")));
        Assert.False(EngineContext.FrameworkProvides(new AssemblyName("PrismQ.Core")));
    }
}
