namespace PrismQ.TestHost;

/// <summary>One subcommand of the test host.</summary>
internal interface ITestHostCommand
{
    /// <summary>The mode name, the first argument.</summary>
    string Name { get; }

    /// <summary>The arguments after the mode, for the usage text.</summary>
    string Usage { get; }

    /// <summary>Runs the mode with the arguments after its name; returns the exit code.</summary>
    int Run(string[] args);
}
