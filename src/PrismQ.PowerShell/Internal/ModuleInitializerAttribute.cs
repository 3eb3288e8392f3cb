namespace System.Runtime.CompilerServices;

/// <summary>Lets netstandard2.0 code declare a module initializer (the compiler recognizes the attribute by name).</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
internal sealed class ModuleInitializerAttribute : Attribute
{
}
