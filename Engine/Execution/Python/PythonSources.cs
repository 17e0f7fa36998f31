using System.Reflection;

namespace Numina.Engine.Execution.Python;

/// <summary>The Python files embedded in the engine (numina_cell.py, notebook_driver.py).</summary>
public static class PythonSources
{
    public static string Read(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(file)
            ?? throw new InvalidOperationException($"{file} is not embedded in the engine.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
