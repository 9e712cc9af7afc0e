using System.Text;

namespace Convocore.Web.Numbers;

/// <summary>One CSV record and the line of the file it starts on.</summary>
internal sealed record CsvRecord(int Line, IReadOnlyList<string> Cells);

/// <summary>
/// CSV as RFC 4180 has it: comma-separated cells, a cell that holds a comma, a quote or a line break is quoted and its
/// quotes doubled; lines end in CRLF (LF alone is read too). Written cells that a spreadsheet would run as a formula
/// (starting with = + - @, tab or carriage return) are escaped with a leading apostrophe, as OWASP advises, and so is a
/// cell starting with an apostrophe; reading removes exactly that one apostrophe, so what is exported reads back as it was.
/// </summary>
internal static class Csv
{
    private const string FormulaStarts = "=+-@\t\r'";

    /// <summary>The records, or the problem (with its line) that makes the text not CSV. Blank lines are skipped.</summary>
    public static (List<CsvRecord>? Records, string? Problem) Read(string text)
    {
        var records = new List<CsvRecord>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var i = 0;
        var quotedCell = false;
        while (i <= text.Length)
        {
            var end = i == text.Length;
            var c = end ? '\n' : text[i];
            if (!end && c == '"')
            {
                if (cell.Length > 0 || quotedCell) return (null, $"The import file is not valid CSV: line {line} has a quote inside a cell that does not start with one");
                quotedCell = true;
                var opened = line;
                i++;
                while (true)
                {
                    if (i == text.Length) return (null, $"The import file is not valid CSV: the quote opened on line {opened} is never closed");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            cell.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (text[i] == '\n') line++;
                    cell.Append(text[i++]);
                }
                if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                    return (null, $"The import file is not valid CSV: line {line} has text after a quoted cell's closing quote");
                continue;
            }
            if (c == ',')
            {
                cells.Add(Unescape(cell.ToString(), quotedCell));
                cell.Clear();
                quotedCell = false;
                i++;
                continue;
            }
            if (c is '\r' or '\n')
            {
                cells.Add(Unescape(cell.ToString(), quotedCell));
                var blank = cells.Count == 1 && cells[0].Length == 0 && !quotedCell;
                if (!blank) records.Add(new CsvRecord(recordLine, cells.ToArray()));
                cells.Clear();
                cell.Clear();
                quotedCell = false;
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                i++;
                line++;
                recordLine = line;
                continue;
            }
            cell.Append(c);
            i++;
        }
        return (records, null);
    }

    public static void WriteRecord(StringBuilder output, IEnumerable<string?> cells)
    {
        var first = true;
        foreach (var value in cells)
        {
            if (!first) output.Append(',');
            first = false;
            var cell = value ?? "";
            if (cell.Length > 0 && FormulaStarts.Contains(cell[0])) cell = "'" + cell;
            if (cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 || cell != cell.Trim())
                output.Append('"').Append(cell.Replace("\"", "\"\"")).Append('"');
            else
                output.Append(cell);
        }
        output.Append("\r\n");
    }

    /// <summary>Spaces around an unquoted cell are not part of it; the export's formula escape is removed.</summary>
    private static string Unescape(string cell, bool quoted)
    {
        if (!quoted) cell = cell.Trim();
        return cell.Length > 1 && cell[0] == '\'' && FormulaStarts.Contains(cell[1]) ? cell[1..] : cell;
    }
}
