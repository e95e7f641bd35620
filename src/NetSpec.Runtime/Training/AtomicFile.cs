using System.Text.Json;

namespace NetSpec.Runtime.Training;

/// <summary>
/// Writes a JSON file so that readers only ever see the old file or the complete new one: the
/// content goes to a temporary file in the same folder, is flushed to disk, then renamed over
/// the target.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Utf8JsonWriter> content)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using (var w = new Utf8JsonWriter(stream))
                    content(w);
                stream.WriteByte((byte)'\n');
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
