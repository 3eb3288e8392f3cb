using System.Collections.Generic;

namespace PrismQ;

/// <summary>The outcome of <c>PRAGMA integrity_check</c>.</summary>
public sealed class IntegrityResult
{
    /// <summary>Creates a result.</summary>
    public IntegrityResult(IReadOnlyList<string> problems) => Problems = problems;

    /// <summary>True when SQLite found no problem.</summary>
    public bool IsOk => Problems.Count == 0;

    /// <summary>The problems SQLite reported (empty when ok).</summary>
    public IReadOnlyList<string> Problems { get; }
}
