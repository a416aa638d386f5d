package dev.mlserve.scoring.api;

import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A CSV request body (RFC 4180: comma-separated, double quotes around cells that hold commas,
 * quotes or line breaks, {@code ""} for a quote) with a header row, as one map per data row of
 * column name to cell text. As Spark's CSV reader does for files, an empty unquoted cell is null
 * and a quoted empty cell {@code ""} is the empty string; empty lines are skipped. Header names are
 * trimmed. Small bodies only: the whole text is in memory.
 */
final class CsvRecords {
    private CsvRecords() {
    }

    /**
     * @throws BadInputException naming each data row (zero-based) whose cell count differs from the
     *     header's, a blank or repeated header name, or an unterminated quote
     */
    static List<Map<String, String>> parse(String text) {
        List<Violation> problems = new ArrayList<>();
        List<List<String>> rows = rows(text.startsWith("\uFEFF") ? text.substring(1) : text, problems);
        if (!problems.isEmpty()) {
            throw new BadInputException("CSV body is malformed", problems);
        }
        if (rows.isEmpty()) {
            return List.of();
        }
        List<String> header = header(rows.get(0), problems);
        List<Map<String, String>> records = new ArrayList<>(rows.size() - 1);
        for (int r = 1; r < rows.size(); r++) {
            List<String> cells = rows.get(r);
            if (header != null && cells.size() != header.size()) {
                problems.add(new Violation(r - 1, null, "row has " + cells.size() + " cells, the header has "
                        + header.size()));
                continue;
            }
            if (header != null) {
                Map<String, String> record = new LinkedHashMap<>(header.size() * 2);
                for (int c = 0; c < cells.size(); c++) {
                    record.put(header.get(c), cells.get(c));
                }
                records.add(record);
            }
        }
        if (!problems.isEmpty()) {
            throw new BadInputException("CSV body is malformed", problems);
        }
        return records;
    }

    private static List<String> header(List<String> cells, List<Violation> problems) {
        List<String> names = new ArrayList<>(cells.size());
        Set<String> seen = new HashSet<>();
        for (String cell : cells) {
            String name = cell == null ? "" : cell.strip();
            if (name.isEmpty()) {
                problems.add(new Violation(-1, null, "the header row has an empty column name"));
                return null;
            }
            if (!seen.add(name)) {
                problems.add(new Violation(-1, name, "the header row names this column twice"));
                return null;
            }
            names.add(name);
        }
        return names;
    }

    /** Splits the text into rows of cells; null marks an empty unquoted cell. */
    private static List<List<String>> rows(String text, List<Violation> problems) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < n && text.charAt(i + 1) == '"') {
                    cell.append('"');
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
                i++;
                continue;
            }
            if (c == '"' && cell.length() == 0 && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
            } else if (c == ',') {
                row.add(cellValue(cell, wasQuoted));
                cell.setLength(0);
                wasQuoted = false;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                    i++;
                }
                endRow(rows, row, cell, wasQuoted);
                row = new ArrayList<>();
                cell.setLength(0);
                wasQuoted = false;
            } else {
                cell.append(c);
            }
            i++;
        }
        if (quoted) {
            problems.add(new Violation(rows.size() - 1, null,
                    "a quoted cell is not closed before the end of the body"));
            return rows;
        }
        endRow(rows, row, cell, wasQuoted);
        return rows;
    }

    private static void endRow(List<List<String>> rows, List<String> row, StringBuilder cell, boolean wasQuoted) {
        if (row.isEmpty() && cell.length() == 0 && !wasQuoted) {
            return; // an empty line
        }
        row.add(cellValue(cell, wasQuoted));
        rows.add(row);
    }

    private static String cellValue(StringBuilder cell, boolean wasQuoted) {
        return cell.length() == 0 && !wasQuoted ? null : cell.toString();
    }
}
