using System.Diagnostics;

namespace Numina.Engine.Tests.Support;

/// <summary>
/// A real, small filesystem (a tmpfs mounted for the test; the suite runs as root, as the sandbox needs): filled to
/// the last block to make the disk full, freed to make space return.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    public string Path { get; }
    private string Filler => System.IO.Path.Combine(Path, "filler");

    private SmallDisk(string path) => Path = path;

    public static SmallDisk Mount(int kilobytes)
    {
        var dir = Directory.CreateTempSubdirectory("numina-small-disk-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k", "tmpfs", dir);
        return new SmallDisk(dir);
    }

    /// <summary>Writes a file until the disk refuses another byte.</summary>
    public void Fill()
    {
        using var file = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        var block = new byte[4096];
        try
        {
            while (true) file.Write(block);
        }
        catch (IOException) { } // ENOSPC: full
    }

    public void Free() => File.Delete(Filler);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static void Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(" ", args)} failed: {error}");
    }
}
