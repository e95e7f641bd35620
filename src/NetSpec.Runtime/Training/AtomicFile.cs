using System.Text.Json;

namespace NetSpec.Runtime.Training;

/// <summary>A JSON file written atomically (see <see cref="NetSpec.Parser.Files.AtomicFile"/>), ending with a line break.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Utf8JsonWriter> content) =>
        NetSpec.Parser.Files.AtomicFile.Write(path, stream =>
        {
            using (var w = new Utf8JsonWriter(stream))
                content(w);
            stream.WriteByte((byte)'\n');
        });
}
