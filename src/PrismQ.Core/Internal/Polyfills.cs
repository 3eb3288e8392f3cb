#if NETSTANDARD2_0
// Lets netstandard2.0 use C# 'init' accessors and records. Internal; compiled only for netstandard2.0.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
#endif
