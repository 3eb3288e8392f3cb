namespace PrismQ.PowerShell;

/// <summary>A PowerShell value read from JSON text the first time it is asked for (<see cref="PowerShellJson"/>), unless set before.</summary>
internal struct LazyJsonValue
{
    private object? _value;
    private bool _known;

    /// <summary>The value set, else <paramref name="json"/> read on the first call and kept.</summary>
    public object? Get(string? json)
    {
        if (!_known)
        {
            _value = PowerShellJson.Read(json);
            _known = true;
        }

        return _value;
    }

    /// <summary>Sets the value; the JSON is then not read.</summary>
    public void Set(object? value)
    {
        _value = value;
        _known = true;
    }
}
