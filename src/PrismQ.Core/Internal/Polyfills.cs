// Lets netstandard2.0 use C# 'init' accessors and records. Internal, and compiled for every target on purpose: an init
// accessor's signature names this type (a modreq), so both builds of the engine must name the same one. The module
// loads the netstandard2.0 engine, and the PostgreSQL store (net8.0, PrismQ.Postgres) is compiled against the net8.0
// engine: with the runtime's own IsExternalInit in the net8.0 build, the store's calls to the engine's init accessors
// (new TaskRecord { Id = ... }) would not bind to the netstandard2.0 build (MissingMethodException on PowerShell 7).
// The compiler prefers a type of the assembly it compiles over the runtime's, so both builds name PrismQ.Core's.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
