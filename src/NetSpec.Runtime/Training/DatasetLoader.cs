using System.Globalization;
using CsvHelper;
using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Files;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Execution;

namespace NetSpec.Runtime.Training;

/// <summary>
/// Reads a spec's <c>dataset:</c> CSV files: checks every row (a row with the wrong number of
/// fields, or a feature that is not a finite number, is an error at file:line:column), turns the
/// label column into one-hot targets, splits by fraction and seed when the files are not
/// separate, and scales the features with statistics of the training split only.
/// </summary>
public static class DatasetLoader
{
    private const int MaxErrorsPerFile = 10;

    /// <summary>How CsvHelper parses a double (its documentation): float style with thousands separators.</summary>
    private const NumberStyles CellStyle = NumberStyles.Float | NumberStyles.AllowThousands;

    /// <summary>10^0 .. 10^15, exact in a double.</summary>
    private static ReadOnlySpan<double> Pow10 => [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>
    /// The value of a cell that is an optional '-', at most 15 digits and at most one '.' among or
    /// after them ("0", "16", "-0.0625"): the digits as an integer m below 10^15 and the count k
    /// after the point are both exact in a double, so m / 10^k is one correctly rounded division,
    /// the double parser's own result. False for anything else (left to the parser).
    /// </summary>
    internal static bool ShortDecimal(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        int i = 0, n = s.Length;
        bool negative = n > 0 && s[0] == (byte)'-';
        if (negative) i = 1;
        if (n - i < 1 || n - i > 16) return false;
        long m = 0;
        int digits = 0, point = -1;
        for (; i < n; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d <= 9)
            {
                m = m * 10 + d;
                digits++;
            }
            else if (s[i] == (byte)'.' && point < 0) point = digits;
            else return false;
        }
        if (digits == 0 || digits > 15) return false;
        double x = point < 0 ? m : m / Pow10[digits - point];
        value = negative ? -x : x;
        return true;
    }

    private static string Clip(string s) => Excerpt.Clip(s);

    /// <summary>The index of the first control character of <paramref name="cell"/> other than a tab; -1 when none.</summary>
    private static int ControlCharacter(string cell)
    {
        for (int i = 0; i < cell.Length; i++)
            if (char.IsControl(cell[i]) && cell[i] != '\t') return i;
        return -1;
    }

    /// <summary><paramref name="s"/> with each control character written as \uXXXX, so a message never carries one to the terminal.</summary>
    private static string Visible(string s) =>
        string.Concat(s.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()));

    private sealed record Table(string DisplayPath, int Rows, double[] Features, string[] Labels, int[] LabelLines, int[] LabelColumns, string[] FeatureNames)
    {
        /// <summary>Every column of the file, in order (the header, or c1..cN).</summary>
        public string[] Columns { get; init; } = FeatureNames;
    }

    /// <summary>The dataset, or null when a file is missing or malformed (the reasons are in <paramref name="diagnostics"/>).</summary>
    public static LoadedDataset? Load(SpecDocument spec, DiagnosticBag diagnostics, ParserLimits? limits = null)
    {
        limits ??= ParserLimits.Default;
        var d = spec.Dataset ?? throw new ArgumentException("the spec has no dataset", nameof(spec));
        string folder = Path.GetDirectoryName(spec.Path) ?? "";
        int errors = diagnostics.ErrorCount;
        Table? main, validationFile, testFile;
        if (d.Synthetic is { } synthetic)
        {
            long samples = (long)synthetic.Samples + synthetic.ValidationSamples + synthetic.TestSamples;
            long declared = samples * synthetic.Features;
            if (declared > limits.MaxElements)
            {
                diagnostics.Error(Codes.TooManyElements, synthetic.Span, $"the synthetic dataset has {declared} feature values, more than {limits.MaxElements} (--max-elements raises the limit)");
                return null;
            }
            // Estimated before anything is allocated: features and one-hot targets, held as
            // doubles by the loader and once more in the run's element type by the trainer.
            long bytes = samples * (synthetic.Features + synthetic.Classes) * sizeof(double) * 2;
            long available = MemoryLimit();
            if (bytes > available / 2)
            {
                diagnostics.Error(Codes.TooManyElements, synthetic.Span,
                    $"the synthetic dataset of {samples} samples needs about {Gib(bytes)} of memory for its features and one-hot targets, " +
                    $"more than half of the {Gib(available)} this process may use (the machine's or the container's memory limit)");
                return null;
            }
            (main, validationFile, testFile) = Synthetic(synthetic);
        }
        else
        {
            main = Read(folder, d.File!, d, diagnostics);
            validationFile = d.ValidationFile is { } vf ? Read(folder, vf, d, diagnostics) : null;
            testFile = d.TestFile is { } tf ? Read(folder, tf, d, diagnostics) : null;
        }
        if (diagnostics.ErrorCount > errors || main is null) return null;
        foreach (var other in new[] { validationFile, testFile })
        {
            if (other is null || other.FeatureNames.SequenceEqual(main.FeatureNames)) continue;
            diagnostics.Error(Codes.ShapeMismatch, new SourceSpan(other.DisplayPath, 1, 1, 1, 1),
                $"the features of {other.DisplayPath} ({other.FeatureNames.Length}) are not those of {main.DisplayPath} ({main.FeatureNames.Length})");
            return null;
        }

        long elements = (long)main.Rows * main.FeatureNames.Length + (validationFile?.Features.Length ?? 0) + (testFile?.Features.Length ?? 0);
        if (elements > limits.MaxElements)
        {
            diagnostics.Error(Codes.TooManyElements, d.File?.Span ?? d.Span, $"the dataset has {elements} feature values, more than {limits.MaxElements} (--max-elements raises the limit)");
            return null;
        }

        var classes = d.Synthetic is { } syn
            ? [.. Enumerable.Range(0, syn.Classes).Select(c => c.ToString(CultureInfo.InvariantCulture))]
            : Classes(d, [main, validationFile, testFile], diagnostics);
        if (classes is null) return null;
        var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classes.Count; i++) classIndex[classes[i]] = i;

        DataSplit Take(string name, Table t, IReadOnlyList<int> rows)
        {
            int f = t.FeatureNames.Length, c = classes.Count;
            var x = new double[rows.Count * f];
            var y = new double[rows.Count * c];
            for (int r = 0; r < rows.Count; r++)
            {
                Array.Copy(t.Features, rows[r] * f, x, r * f, f);
                y[r * c + classIndex[t.Labels[rows[r]]]] = 1;
            }
            return new DataSplit(name, rows.Count, x, y);
        }
        static int[] All(Table t) => [.. Enumerable.Range(0, t.Rows)];

        DataSplit train;
        DataSplit? validation = validationFile is null ? null : Take("validation", validationFile, All(validationFile));
        DataSplit? test = testFile is null ? null : Take("test", testFile, All(testFile));
        if (d.Split is { } split && (split.Validation > 0 || split.Test > 0))
        {
            var perm = new int[main.Rows];
            new Rng(split.Seed).Permutation(perm);
            int nTest = Count(split.Test, main.Rows), nVal = Count(split.Validation, main.Rows);
            if (main.Rows - nTest - nVal < 1)
            {
                diagnostics.Error(Codes.InvalidValue, split.Span, $"{main.DisplayPath} has {main.Rows} rows: the split leaves no training samples");
                return null;
            }
            // Each part keeps the file's order; shuffling happens per epoch.
            int[] Part(int from, int count) => [.. perm.AsSpan(from, count).ToArray().Order()];
            if (nTest > 0) test = Take("test", main, Part(0, nTest));
            if (nVal > 0) validation = Take("validation", main, Part(nTest, nVal));
            train = Take("train", main, Part(nTest + nVal, main.Rows - nTest - nVal));
        }
        else train = Take("train", main, All(main));

        var preprocessing = Preprocessing.Fit(main.Columns, main.FeatureNames, d.Label?.Name, classes, d.Scaling, d.ScaleFactor, train.Features, train.Rows);
        foreach (var s in new[] { train, validation, test })
            if (s is not null) preprocessing.Apply(s.Features);
        return new LoadedDataset(main.FeatureNames, classes, train, validation, test) { Preprocessing = preprocessing };
    }

    /// <summary>
    /// The synthetic source: a teacher (features x classes) from N(0, 1), then every sample's
    /// features from N(0, 1) with the class argmax_j Σ_i x_i teacher_ij (the first on ties); one
    /// generator seeded once draws the teacher, then the training, validation and test samples.
    /// </summary>
    private static (Table Train, Table? Validation, Table? Test) Synthetic(SyntheticDecl s)
    {
        var rng = new Rng(s.Seed);
        int f = s.Features, c = s.Classes;
        var teacher = new double[f * c];
        for (int i = 0; i < teacher.Length; i++) teacher[i] = rng.NextNormal();
        var names = Enumerable.Range(0, f).Select(i => "f" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var score = new double[c];
        Table Draw(string name, int rows)
        {
            var x = new double[rows * f];
            var labels = new string[rows];
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < f; i++) x[r * f + i] = rng.NextNormal();
                Array.Clear(score);
                for (int i = 0; i < f; i++)
                    for (int j = 0; j < c; j++) score[j] += x[r * f + i] * teacher[i * c + j];
                int best = 0;
                for (int j = 1; j < c; j++) if (score[j] > score[best]) best = j;
                labels[r] = best.ToString(CultureInfo.InvariantCulture);
            }
            return new Table($"(synthetic {name})", rows, x, labels, new int[rows], new int[rows], names);
        }
        var train = Draw("train", s.Samples);
        var validation = s.ValidationSamples > 0 ? Draw("validation", s.ValidationSamples) : null;
        var test = s.TestSamples > 0 ? Draw("test", s.TestSamples) : null;
        return (train, validation, test);
    }

    private static int Count(double fraction, int rows) =>
        fraction <= 0 ? 0 : Math.Max(1, (int)Math.Round(fraction * rows, MidpointRounding.AwayFromZero));

    private static List<string>? Classes(DatasetDecl d, Table?[] tables, DiagnosticBag diagnostics)
    {
        if (d.Classes is { } given)
        {
            var known = new HashSet<string>(given.Select(c => c.Name), StringComparer.Ordinal);
            int errors = 0;
            foreach (var t in tables)
            {
                if (t is null) continue;
                for (int r = 0; r < t.Rows && errors < MaxErrorsPerFile; r++)
                {
                    if (known.Contains(t.Labels[r])) continue;
                    errors++;
                    diagnostics.Error(Codes.InvalidValue, new SourceSpan(t.DisplayPath, t.LabelLines[r], t.LabelColumns[r], t.LabelLines[r], t.LabelColumns[r] + t.Labels[r].Length),
                        $"label '{Clip(t.Labels[r])}' is not one of the classes the spec lists{Suggest.DidYouMean(t.Labels[r], known)}");
                }
            }
            return errors > 0 ? null : [.. given.Select(c => c.Name)];
        }
        var all = tables.Where(t => t is not null).SelectMany(t => t!.Labels).Distinct(StringComparer.Ordinal).ToList();
        bool numeric = all.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return numeric
            ? [.. all.OrderBy(l => double.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture)).ThenBy(l => l, StringComparer.Ordinal)]
            : [.. all.Order(StringComparer.Ordinal)];
    }

    private static Table? Read(string folder, PathRef file, DatasetDecl d, DiagnosticBag diagnostics)
    {
        string path = Path.Combine(folder, file.Path);
        if (!File.Exists(path))
        {
            diagnostics.Error(Codes.FileNotFound, file.Span, $"the data file '{Clip(file.Path)}' does not exist (looked for {path})");
            return null;
        }
        try
        {
            return ReadTable(path, file, d, diagnostics);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CsvFormatException or FormatException)
        {
            diagnostics.Error(Codes.FileUnreadable, file.Span, $"cannot read the data file '{Clip(file.Path)}': {Excerpt.Message(e.Message)}");
            return null;
        }
    }

    /// <summary>The memory this process may use: the container's limit when there is one, else the machine's memory.</summary>
    private static long MemoryLimit() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";

    /// <summary>
    /// A data file's bytes (a regular file of at most <see cref="SafeFile.MaxDataBytes"/> bytes),
    /// checked to be UTF-8, without a byte order mark: what the CSV reader reads in place.
    /// </summary>
    internal static ReadOnlyMemory<byte> ReadUtf8(string path)
    {
        var bytes = SafeFile.ReadAllBytes(path, SafeFile.MaxDataBytes);
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new FormatException("it is not UTF-8 text (is it a binary file?)");
        return bytes.AsMemory(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0);
    }

    /// <summary>
    /// Reads rows to predict or evaluate exactly as the data set's files are read (separator,
    /// header, the same checks at file:line:column), with the columns of the trained network
    /// (<paramref name="trained"/>: by name with a header; without one, the data file's layout,
    /// with or without its label column), then scales them with the statistics saved at training
    /// time. <paramref name="labels"/> false ignores a label column; true requires one. Null
    /// when the file is missing or malformed (the reasons are in <paramref name="diagnostics"/>).
    /// </summary>
    public static InputRows? ReadInput(string path, DatasetDecl d, Preprocessing trained, bool labels, DiagnosticBag diagnostics, long maxElements = long.MaxValue)
    {
        var file = new PathRef(path, new SourceSpan(path, 1, 1, 1, 1));
        if (!File.Exists(path))
        {
            diagnostics.Error(Codes.FileNotFound, file.Span, $"the input file '{Clip(path)}' does not exist");
            return null;
        }
        Table? t;
        try
        {
            t = ReadTable(path, file, d, diagnostics, trained, labels);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CsvFormatException or FormatException)
        {
            diagnostics.Error(Codes.FileUnreadable, file.Span, $"cannot read the input file '{Clip(path)}': {Excerpt.Message(e.Message)}");
            return null;
        }
        if (t is null) return null;
        if (t.Features.Length > maxElements)
        {
            diagnostics.Error(Codes.TooManyElements, file.Span, $"the input file has {t.Features.Length} feature values, more than {maxElements} (--max-elements raises the limit)");
            return null;
        }
        trained.Apply(t.Features);
        return new InputRows(path, t.Rows, t.Features, labels ? t.Labels : null, t.LabelLines, t.LabelColumns);
    }

    /// <summary>
    /// The feature (and label) columns of an input file for a trained network: with a header by
    /// name; without one, the data file's columns when the row is as wide, else those columns
    /// without the label. False, with diagnostics, when a column is missing or a row's width fits neither.
    /// </summary>
    private static bool TrainedColumns(string path, ref string[] names, bool header, Preprocessing trained, bool labels, DiagnosticBag diagnostics,
        out int[] featureIdx, out int labelIdx)
    {
        featureIdx = [];
        labelIdx = -1;
        var span = new SourceSpan(path, 1, 1, 1, 2);
        if (!header)
        {
            var withoutLabel = trained.Columns.Where(c => c != trained.Label).ToArray();
            if (names.Length == trained.Columns.Count) names = [.. trained.Columns];
            else if (!labels && trained.Label is not null && names.Length == withoutLabel.Length) names = withoutLabel;
            else
            {
                string widths = labels || trained.Label is null
                    ? $"{trained.Columns.Count}"
                    : $"{trained.Columns.Count} (or {withoutLabel.Length} without the label column '{Clip(trained.Label)}')";
                diagnostics.Error(Codes.RaggedMatrix, span, $"row 1 has {names.Length} field{(names.Length == 1 ? "" : "s")}, but the rows of the data set the network was trained on have {widths}");
                return false;
            }
        }
        bool ok = true;
        var idx = new List<int>();
        foreach (var f in trained.Features)
        {
            int i = Array.IndexOf(names, f);
            if (i >= 0)
            {
                idx.Add(i);
                continue;
            }
            diagnostics.Error(Codes.UnknownReference, span, $"the input has no column '{Clip(f)}', a feature of the trained network{Suggest.DidYouMean(f, names)}");
            ok = false;
        }
        featureIdx = [.. idx];
        if (labels)
        {
            labelIdx = trained.Label is null ? -1 : Array.IndexOf(names, trained.Label);
            if (labelIdx < 0)
            {
                diagnostics.Error(Codes.UnknownReference, span, $"the input has no label column{(trained.Label is null ? "" : $" '{Clip(trained.Label)}'")}: evaluating needs the true class of every row{(trained.Label is null ? "" : Suggest.DidYouMean(trained.Label, names))}");
                ok = false;
            }
        }
        return ok;
    }

    private static Table? ReadTable(string path, PathRef file, DatasetDecl d, DiagnosticBag diagnostics, Preprocessing? trained = null, bool withLabels = true)
    {
        // Read through SafeFile (regular files only, bounded), then parsed from memory.
        var content = ReadUtf8(path);
        using var r = CsvReader.Create(content, new CsvReaderOptions
        {
            Separator = d.Separator,
            HasHeader = d.Header,
            TrackLineNumbers = true,
            FormatProvider = CultureInfo.InvariantCulture,
        });
        string[]? header = d.Header ? [.. r.Headers] : null;
        // Sized for every line of the file (a list grown by doubling copies and faults in twice the memory).
        int lines = content.Span.Count((byte)'\n') + 1;
        var features = new List<double>((int)Math.Min((long)lines * (header?.Length ?? 1), 1 << 24));
        var labels = new List<string>();
        var labelLines = new List<int>();
        var labelColumns = new List<int>();
        int[]? featureIdx = null;
        int labelIdx = -1, width = -1, errors = 0, rows = 0;
        string[] names = [];
        while (r.Read())
        {
            if (featureIdx is null)
            {
                width = header?.Length ?? r.FieldCount;
                names = header ?? [.. Enumerable.Range(1, width).Select(i => $"c{i}")];
                if (trained is null ? !Columns(names, d, diagnostics, out featureIdx, out labelIdx)
                    : !TrainedColumns(path, ref names, header is not null, trained, withLabels, diagnostics, out featureIdx, out labelIdx)) return null;
            }
            int line = (int)r.LineNumber;
            if (r.FieldCount != width)
            {
                diagnostics.Error(Codes.RaggedMatrix, new SourceSpan(path, line, 1, line, 2),
                    $"row {r.RowNumber} has {r.FieldCount} field{(r.FieldCount == 1 ? "" : "s")} but {(header is null ? "the first row" : "the header")} has {width}");
                if (++errors >= MaxErrorsPerFile) break;
                continue;
            }
            // Character column of each field, for positions (fields are not quoted in numeric data).
            int Column(int field)
            {
                int col = 1;
                for (int j = 0; j < field; j++) col += r.GetString(j).Length + 1;
                return col;
            }
            bool rowOk = true;
            for (int t = 0; t <= featureIdx.Length; t++)
            {
                int j = t < featureIdx.Length ? featureIdx[t] : labelIdx; // the features, then the label (if any)
                if (j < 0) break;
                // A control character (NUL, escape, ...) in a cell: the number parser may stop before it and read "2\0" as 2.
                // A cell of printable ASCII bytes has none (its text is looked at only otherwise).
                if (!r.GetSpan(j).ContainsAnyExceptInRange((byte)0x20, (byte)0x7E)) continue;
                string cell = r.GetString(j);
                int bad = ControlCharacter(cell);
                if (bad < 0) continue;
                int col = Column(j) + bad;
                diagnostics.Error(Codes.NotText, new SourceSpan(path, line, col, line, col + 1),
                    $"column '{Clip(names[j])}' of row {r.RowNumber} holds the control character U+{(int)cell[bad]:X4}: '{Visible(Clip(cell))}'");
                rowOk = false;
                if (++errors >= MaxErrorsPerFile) break;
            }
            if (errors >= MaxErrorsPerFile) break;
            if (!rowOk) continue;
            foreach (var j in featureIdx)
            {
                // .NET's parser on the cell's bytes first: the reader parses doubles the same way (exactly rounded,
                // float style with thousands separators, invariant culture), so where it succeeds the value is the
                // reader's; anything it refuses is left to the reader.
                var cell = r.GetSpan(j);
                if ((ShortDecimal(cell, out var v) || double.TryParse(cell, CellStyle, CultureInfo.InvariantCulture, out v) || r.TryParse<double>(j, out v)) && double.IsFinite(v))
                {
                    features.Add(v);
                    continue;
                }
                string text = r.GetString(j);
                int col = Column(j);
                diagnostics.Error(Codes.NotANumber, new SourceSpan(path, line, col, line, col + Math.Max(1, text.Length)),
                    $"column '{Clip(names[j])}' of row {r.RowNumber} is not a finite number: '{Clip(text)}'");
                rowOk = false;
                if (++errors >= MaxErrorsPerFile) break;
            }
            if (errors >= MaxErrorsPerFile) break;
            if (!rowOk) continue;
            string label = labelIdx < 0 ? "" : r.GetString(labelIdx).Trim();
            if (label.Length == 0 && labelIdx >= 0)
            {
                int col = Column(labelIdx);
                diagnostics.Error(Codes.MissingField, new SourceSpan(path, line, col, line, col + 1), $"row {r.RowNumber} has no label in column '{Clip(names[labelIdx])}'");
                if (++errors >= MaxErrorsPerFile) break;
                continue;
            }
            labels.Add(label);
            labelLines.Add(line);
            labelColumns.Add(labelIdx < 0 ? 0 : Column(labelIdx));
            rows++;
        }
        if (errors > 0) return null;
        if (featureIdx is null || rows == 0)
        {
            diagnostics.Error(Codes.FileEmpty, file.Span, $"the data file '{Clip(file.Path)}' has no rows of samples");
            return null;
        }
        return new Table(path, rows, [.. features], [.. labels], [.. labelLines], [.. labelColumns], [.. featureIdx.Select(j => names[j])]) { Columns = names };
    }

    private static bool Columns(string[] names, DatasetDecl d, DiagnosticBag diagnostics, out int[] featureIdx, out int labelIdx)
    {
        featureIdx = [];
        labelIdx = Array.IndexOf(names, d.Label!.Name);
        bool ok = true;
        if (labelIdx < 0)
        {
            diagnostics.Error(Codes.UnknownReference, d.Label.Span,
                $"the label column '{Clip(d.Label.Name)}' is not a column of the data file{Suggest.DidYouMean(d.Label.Name, names)}");
            ok = false;
        }
        if (d.Features is null)
        {
            int label = labelIdx;
            featureIdx = [.. Enumerable.Range(0, names.Length).Where(i => i != label)];
            if (featureIdx.Length == 0)
            {
                diagnostics.Error(Codes.InvalidValue, d.Span, "the data file has no column besides the label: there are no features");
                ok = false;
            }
            return ok;
        }
        var idx = new List<int>();
        foreach (var f in d.Features)
        {
            int i = Array.IndexOf(names, f.Name);
            if (i < 0)
            {
                diagnostics.Error(Codes.UnknownReference, f.Span, $"the feature column '{Clip(f.Name)}' is not a column of the data file{Suggest.DidYouMean(f.Name, names)}");
                ok = false;
            }
            else if (i == labelIdx)
            {
                diagnostics.Error(Codes.InvalidValue, f.Span, $"'{Clip(f.Name)}' is the label column; it cannot also be a feature");
                ok = false;
            }
            else idx.Add(i);
        }
        featureIdx = [.. idx];
        return ok;
    }
}

/// <summary>Rows read for a trained network (<see cref="DatasetLoader.ReadInput"/>): scaled features (rows x features) and, when asked for, each row's label with its line and column.</summary>
public sealed record InputRows(string Path, int Rows, double[] Features, string[]? Labels, int[] LabelLines, int[] LabelColumns);
