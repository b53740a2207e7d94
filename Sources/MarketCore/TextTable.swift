/// Rows of text in columns for a terminal: each column as wide as its widest cell (or its
/// minimum width), two spaces between columns, no blanks at the end of a line.
public enum TextTable {
    /// - Parameters:
    ///   - rightAligned: the columns whose cells are padded on the left (numbers).
    ///   - minimumWidths: per column, from the first; columns past its end have none.
    ///   - indent: put before every line.
    public static func lines(
        _ rows: [[String]], rightAligned: Set<Int> = [], minimumWidths: [Int] = [], indent: String = ""
    ) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.reduce(
                column < minimumWidths.count ? minimumWidths[column] : 0, max)
        }
        return rows.map { row in
            let cells = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }
            var line = indent + cells.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
