namespace NetSpec.Tests;

/// <summary>Where the repository's folders are, found from the test binary.</summary>
internal static class TestPaths
{
    public static string Root { get; } = FindRoot();

    public static string Specs => Path.Combine(Root, "specs");
    public static string Golden => Path.Combine(Root, "specs", "golden");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NetSpec.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("NetSpec.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every spec under specs/ (not its data or golden folders), as a relative path.</summary>
    public static IEnumerable<object[]> SpecFiles() =>
        Directory.EnumerateFiles(Specs, "*.yaml", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Select(p => new object[] { Path.GetFileName(p) });
}
