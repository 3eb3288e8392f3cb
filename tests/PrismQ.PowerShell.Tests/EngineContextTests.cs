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
/// The PowerShell 7 isolation, on this runtime: the shipped dependencies load from module/bin/engine into the module's own
/// AssemblyLoadContext although this test process already has its own copies in the default context, SQLite binds to
/// the engine folder's native file, and the engine works against them.
/// </summary>
public sealed class EngineContextTests
{
    private static readonly string Engine = Path.Combine(RepoPaths.Root, "module", "bin", EngineLoader.EngineFolderName);

    [Fact]
    public void Shipped_sqlite_loads_into_the_module_context_and_works()
    {
        EngineContext engine = EngineContext.Create(Engine);
        var context = (AssemblyLoadContext)engine.Context;
        Assembly sqlite = engine.Resolve(new AssemblyName("Microsoft.Data.Sqlite, Version=10.0.0.0"))!;
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(sqlite));
        Assert.NotSame(typeof(Microsoft.Data.Sqlite.SqliteConnection).Assembly, sqlite);
        Type connectionType = sqlite.GetType("Microsoft.Data.Sqlite.SqliteConnection", throwOnError: true)!;
        using (var connection = (System.Data.Common.DbConnection)Activator.CreateInstance(connectionType, "Data Source=:memory:")!)
        {
            connection.Open();
            using System.Data.Common.DbCommand command = connection.CreateCommand();
            command.CommandText = "select sqlite_version()";
            Assert.StartsWith("3.", (string)command.ExecuteScalar()!);
        }

        Assert.True(engine.NativeLoads >= 1, "e_sqlite3 was not bound from the engine folder");
        Assert.Null(engine.Resolve(new AssemblyName("PrismQ.Core")));
        Assert.Null(engine.Resolve(new AssemblyName("System.Memory, Version=4.0.1.2")));
    }

    [Fact]
    public void The_engine_works_with_every_dependency_from_the_module_context()
    {
        // The engine itself normally loads in the default context (beside the cmdlets); here it is put in the engine
        // folder of a copy so that the whole engine runs in the module's context.
        string copy = Path.Combine(Path.GetTempPath(), "prismq-engine-" + Guid.NewGuid().ToString("N"));
        CopyFolder(Engine, copy);
        File.Copy(Path.Combine(RepoPaths.Root, "module", "bin", "PrismQ.Core.dll"), Path.Combine(copy, "PrismQ.Core.dll"));
        EngineContext engine = EngineContext.Create(copy);
        var context = (AssemblyLoadContext)engine.Context;
        Assert.Equal("PrismQ", context.Name);
        Assert.NotSame(AssemblyLoadContext.Default, context);

        Assembly core = engine.Resolve(new AssemblyName("PrismQ.Core"))!;
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(core));
        Assert.NotSame(typeof(TaskRecord).Assembly, core);
        Assert.Equal(Path.Combine(copy, "PrismQ.Core.dll"), core.Location);
        Assert.Null(engine.Resolve(new AssemblyName("Not.Shipped")));

        string folder = Path.Combine(Path.GetTempPath(), "prismq-alc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            Type storeType = core.GetType("PrismQ.Storage.Sqlite.SqliteTaskStore", throwOnError: true)!;
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
                Assert.StartsWith(copy, loaded.Location);
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

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string folder in Directory.GetDirectories(from)) CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }

    [Fact]
    public void Framework_assemblies_stay_the_frameworks_when_recent_enough()
    {
        Assert.True(EngineContext.FrameworkProvides(new AssemblyName("System.Memory, Version=4.0.1.2")));
        Assert.False(EngineContext.FrameworkProvides(new AssemblyName("System.Memory, Version=99.0.0.0")));
        Assert.False(EngineContext.FrameworkProvides(new AssemblyName("PrismQ.Core")));
    }
}
