using System.Globalization;
using CsvHelper;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;

namespace NetSpec.Runtime.Training;

/// <summary>
/// Reads the data a spec takes from CSV files (<c>x: {file: rows.csv, columns: [a, b]}</c>), for
/// specs without training: one row per sample, the chosen columns (all by default) as a
/// rows x columns tensor. Files are read as the dataset's are (regular files, bounded in size,
/// UTF-8); a row with the wrong number of fields or a cell that is not a finite number is an
/// error at file:line:column.
/// </summary>
public static class DataFiles
{
    private const int MaxErrorsPerFile = 10;

    /// <summary>The spec with every file-backed data value read; diagnostics for what cannot be read.</summary>
    public static SpecDocument Load(SpecDocument spec, DiagnosticBag diagnostics, ParserLimits? limits)
    {
        if (spec.Data.All(d => d.File is null)) return spec;
        string folder = Path.GetDirectoryName(spec.Path) ?? "";
        var data = new List<DataDecl>();
        foreach (var d in spec.Data)
        {
            if (d.File is not { } f)
            {
                data.Add(d);
                continue;
            }
            if (Read(Path.Combine(folder, f.File.Path), f, d.Name, diagnostics, limits?.MaxElements ?? new ParserLimits().MaxElements) is { } t)
                data.Add(d with { Value = t, File = null });
        }
        return spec with { Data = data };
    }

    private static TensorLiteral? Read(string path, DataFileDecl f, string name, DiagnosticBag diagnostics, long maxElements)
    {
        string shown = Excerpt.Clip(f.File.Path);
        if (!File.Exists(path))
        {
            diagnostics.Error(Codes.FileNotFound, f.File.Span, $"the data file '{shown}' of '{name}' does not exist (looked for {path})");
            return null;
        }
        try
        {
            using var r = CsvReader.Create(DatasetLoader.ReadUtf8(path), new CsvReaderOptions
            {
                Separator = f.Separator,
                HasHeader = f.Header,
                TrackLineNumbers = true,
                FormatProvider = CultureInfo.InvariantCulture,
            });
            string[]? header = f.Header ? [.. r.Headers] : null;
            int[]? idx = null;
            string[] names = [];
            int width = -1, errors = 0, rows = 0;
            var values = new List<double>();
            while (r.Read())
            {
                if (idx is null)
                {
                    width = header?.Length ?? r.FieldCount;
                    names = header ?? [.. Enumerable.Range(1, width).Select(i => $"c{i}")];
                    if ((idx = Columns(names, f, diagnostics)) is null) return null;
                }
                int line = (int)r.LineNumber;
                if (r.FieldCount != width)
                {
                    diagnostics.Error(Codes.RaggedMatrix, new SourceSpan(path, line, 1, line, 2),
                        $"row {r.RowNumber} has {r.FieldCount} field{(r.FieldCount == 1 ? "" : "s")} but {(header is null ? "the first row" : "the header")} has {width}");
                    if (++errors >= MaxErrorsPerFile) break;
                    continue;
                }
                foreach (var j in idx)
                {
                    string cell = r.GetString(j);
                    if (cell.All(ch => !char.IsControl(ch)) && r.TryParse<double>(j, out var v) && double.IsFinite(v))
                    {
                        values.Add(v);
                        continue;
                    }
                    int col = 1;
                    for (int k = 0; k < j; k++) col += r.GetString(k).Length + 1;
                    diagnostics.Error(Codes.NotANumber, new SourceSpan(path, line, col, line, col + Math.Max(1, cell.Length)),
                        $"column '{Excerpt.Clip(names[j])}' of row {r.RowNumber} is not a finite number: '{Excerpt.Clip(new string([.. cell.Select(ch => char.IsControl(ch) ? '?' : ch)]))}'");
                    if (++errors >= MaxErrorsPerFile) break;
                }
                if (errors >= MaxErrorsPerFile) break;
                rows++;
                if ((long)rows * idx.Length > maxElements)
                {
                    diagnostics.Error(Codes.TooManyElements, f.File.Span, $"the data file '{shown}' of '{name}' holds more than {maxElements} numbers");
                    return null;
                }
            }
            if (errors > 0) return null;
            if (idx is null || rows == 0)
            {
                diagnostics.Error(Codes.FileEmpty, f.File.Span, $"the data file '{shown}' of '{name}' has no rows");
                return null;
            }
            return new TensorLiteral([rows, idx.Length], [.. values], f.File.Span);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CsvFormatException or FormatException)
        {
            diagnostics.Error(Codes.FileUnreadable, f.File.Span, $"cannot read the data file '{shown}' of '{name}': {Excerpt.Message(e.Message)}");
            return null;
        }
    }

    private static int[]? Columns(string[] names, DataFileDecl f, DiagnosticBag diagnostics)
    {
        if (f.Columns is null) return [.. Enumerable.Range(0, names.Length)];
        var idx = new List<int>();
        bool ok = true;
        foreach (var c in f.Columns)
        {
            int i = Array.IndexOf(names, c.Name);
            if (i >= 0) idx.Add(i);
            else
            {
                diagnostics.Error(Codes.UnknownReference, c.Span, $"'{Excerpt.Clip(c.Name)}' is not a column of the data file{Suggest.DidYouMean(c.Name, names)}");
                ok = false;
            }
        }
        return ok ? [.. idx] : null;
    }
}
