import MarketCore

/// How a reader finds every epoch on the timeline: a label over its election where there is
/// room, and the list of epochs under the drawing, open when labels had to be left out.
enum EpochList {
    /// "e2" over each election, on one of two rows; a label that would overlap both rows'
    /// previous ones is left out, and its epoch is returned so the page can list it.
    static func labels(_ context: ReportContext, y: Double) -> (parts: [String], dropped: [Epoch]) {
        var parts: [String] = []
        var dropped: [Epoch] = []
        var rowEnds = [-Double.infinity, -Double.infinity]
        for election in context.chronicle.elections {
            guard let at = election.finishedMs ?? election.startedMs else { continue }
            let x = context.time(at)
            let text = "e\(election.epoch)"
            let half = Double(text.count) * 2.8
            guard let row = rowEnds.indices.first(where: { x - half > rowEnds[$0] + 2 }) else {
                dropped.append(election.epoch)
                continue
            }
            rowEnds[row] = x + half
            parts.append("<text x=\"\(SVG.number(x))\" y=\"\(SVG.number(y - 10 * Double(row)))\" class=\"elabel\" text-anchor=\"middle\">"
                + "\(text)<title>\(SVG.escape(context.electionTitle(election)))</title></text>")
        }
        return (parts, dropped)
    }

    /// Every epoch: who traded in it, when and why its election began. Open on the page when
    /// the drawing had to leave labels out, so every epoch can be found.
    static func html(_ context: ReportContext, crowded: Bool) -> String {
        let elections = context.chronicle.elections
        guard !elections.isEmpty else { return "<p class=\"note\">No election has finished yet.</p>" }
        let rows = elections.map { election in
            let took = election.startedMs.flatMap { start in election.finishedMs.map { Duration.text(ms: $0 - start) } } ?? "–"
            return "<tr><td>e\(election.epoch)</td><td>P\(election.winner)</td><td>\(election.startedMs.map { Duration.text(ms: $0) } ?? "–")</td>"
                + "<td>\(SVG.escape(election.reason ?? "–"))</td><td>\(election.initiator.map { "P\($0)" } ?? "–")</td><td>\(took)</td></tr>"
        }
        let summary = crowded ? "Epochs (\(elections.count)): their labels crowd in the drawing, so every one is listed here"
                              : "Elections (\(elections.count))"
        return "<details class=\"epochs\"\(crowded ? " open" : "")><summary>\(summary)</summary><table class=\"books\"><thead><tr>"
            + "<th>epoch</th><th>trader</th><th>started</th><th>reason</th><th>started by</th><th>took</th></tr></thead><tbody>"
            + rows.joined() + "</tbody></table></details>"
    }
}
