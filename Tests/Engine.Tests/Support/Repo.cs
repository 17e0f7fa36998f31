namespace Numina.Engine.Tests.Support;

/// <summary>Paths of the repository and of the shared folder beside it.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>../shared/data beside the checkout (CI lays it there too).</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Numina.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (Numina.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>The real interpreter the tests run code with.</summary>
public static class Python
{
    public static global::Numina.Engine.Execution.Python.PythonOptions Options { get; } = new();
    public static global::Numina.Engine.Execution.Python.PythonExecutor Executor() => new(Options);
}
