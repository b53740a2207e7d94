/// How the timeline draws unnoticed stretches: their hatching, and the notes under its axis.
extension UnnoticedSilence {
    /// Orange stripes on white: the silent trader's stretch stands out from the plain sick one.
    static let pattern = "<defs><pattern id=\"unnoticed\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
        + "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/><rect width=\"3\" height=\"6\" fill=\"#f5a524\"/>"
        + "</pattern></defs>"

    /// Under the time axis, "silent, not yet noticed 312 ms" under a bracket spanning each
    /// unnoticed stretch (a label is longer than its stretch, so inside the lane it would hide
    /// what follows), on up to `maxRows` rows. When they do not all fit, each label that finds
    /// no room takes a shorter form ("unnoticed 312 ms", then "312 ms"), and failing that every
    /// one does; a stretch that still finds no room keeps only its hover text.
    static func notes(_ silences: [UnnoticedSilence], time: LinearScale, y: Double,
                               maxRows: Int = 3) -> (parts: [String], height: Double) {
        typealias Note = (silence: UnnoticedSilence, row: Int, text: String, textX: Double)
        let rowHeight = 13.0
        let sorted = silences.sorted { $0.fromMs < $1.fromMs }
        let all = UnnoticedSilence.Form.allCases
        var best: (notes: [Note], rows: Int) = ([], 0)
        for forms in [[.full], all] + all.dropFirst().map({ [$0] }) as [[UnnoticedSilence.Form]] {
            var rowEnds: [Double] = []
            var notes: [Note] = []
            for silence in sorted {
                let x1 = time(silence.fromMs)
                for form in forms {
                    let text = silence.label(form)
                    let width = Double(text.count) * 5.4
                    // Near the right edge the text ends at the edge instead of running off the drawing.
                    let textX = max(time.range.lowerBound, min(x1, ReportContext.width - 2 - width))
                    guard let row = rowEnds.indices.first(where: { rowEnds[$0] + 8 < min(x1, textX) })
                            ?? (rowEnds.count < maxRows ? rowEnds.count : nil)
                    else { continue }
                    let end = max(time(silence.toMs), textX + width)
                    if row == rowEnds.count { rowEnds.append(end) } else { rowEnds[row] = end }
                    notes.append((silence, row, text, textX))
                    break
                }
            }
            if notes.count > best.notes.count { best = (notes, rowEnds.count) }
            if notes.count == sorted.count { break }
        }
        let parts = best.notes.map { note in
            let x1 = time(note.silence.fromMs)
            let x2 = max(time(note.silence.toMs), x1 + 1)
            let top = y + rowHeight * Double(note.row)
            return "<g class=\"unnoticed-note\"><title>\(SVG.escape(note.silence.title))</title>"
                + "<path d=\"M\(SVG.number(x1)) \(SVG.number(top))v3h\(SVG.number(x2 - x1))v-3\"/>"
                + SVG.text(note.text, x: note.textX, y: top + 11, cssClass: "unnoticed-label") + "</g>"
        }
        return (parts, rowHeight * Double(best.rows) + (best.rows == 0 ? 0 : 2))
    }
}
