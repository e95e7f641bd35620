using NetSpec.Runtime;

namespace NetSpec.Tests.Training;

/// <summary>A temporary folder holding a training spec and its CSV files; deleted on dispose.</summary>
internal sealed class TrainingFolder : IDisposable
{
    public TrainingFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netspec-training-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name, string text)
    {
        string p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllText(p, text);
        return p;
    }

    /// <summary>Copies a shipped spec and its data folder here, optionally editing the spec text.</summary>
    public string CopySpec(string name, Func<string, string>? edit = null)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(Path, "data"));
        foreach (var f in Directory.EnumerateFiles(System.IO.Path.Combine(TestPaths.Specs, "data")))
            System.IO.File.Copy(f, System.IO.Path.Combine(Path, "data", System.IO.Path.GetFileName(f)), overwrite: true);
        string text = System.IO.File.ReadAllText(System.IO.Path.Combine(TestPaths.Specs, name));
        return File(name, edit is null ? text : edit(text));
    }

    public static LoadedSpec Load(string path)
    {
        var loaded = NetSpecEngine.Load(path);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        return loaded;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
