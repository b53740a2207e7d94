import MarketStore

/// The summary table: every peer's ledger, the inventory, and the history check's verdict.
enum BooksSection {
    static func make(_ context: ReportContext) -> ReportSection {
        let inspection = context.inspection
        let traded = Dictionary(grouping: inspection.elections, by: \.winner).mapValues { $0.map(\.epoch).sorted() }
        let faults = Dictionary(grouping: context.chronicle.faults.filter { $0.kind != .downAtStart }, by: \.peer)
        var html = "<div class=\"tables\"><table class=\"books\"><thead><tr><th>peer</th><th>role</th><th>product</th>"
            + "<th>bought</th><th>sold</th><th>cash</th><th>final clock</th><th>traded in epochs</th><th>faults</th></tr></thead><tbody>"
        for peer in inspection.peers {
            let epochs = traded[peer.peer].map(compactEpochs) ?? ""
            let faultText = (faults[peer.peer] ?? []).reduce(into: [String: Int]()) { $0[$1.kind.rawValue, default: 0] += 1 }
                .sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            html += "<tr><td>P\(peer.peer)</td><td>\(SVG.escape(peer.role.rawValue))\(peer.downAtStart ? " (down)" : "")</td>"
                + "<td>\(SVG.escape(peer.product.rawValue))</td><td class=\"n\">\(optional(peer.bought))</td><td class=\"n\">\(optional(peer.sold))</td>"
                + "<td class=\"n\">\(money(peer.cashCents))</td><td class=\"n\">\(optional(peer.finalClock))</td>"
                + "<td>\(epochs)</td><td>\(faultText)</td></tr>"
        }
        html += "</tbody></table>\n<table class=\"books\"><thead><tr><th>seller</th><th>product</th><th>deposited</th><th>sold</th>"
            + "<th>stock</th></tr></thead><tbody>"
        for row in inspection.inventory {
            html += "<tr><td>P\(row.seller)</td><td>\(SVG.escape(row.product))</td><td class=\"n\">\(row.deposited)</td>"
                + "<td class=\"n\">\(row.deposited - row.stock)</td><td class=\"n\">\(row.stock)</td></tr>"
        }
        html += "</tbody></table></div>\n"
        let check = inspection.check
        html += "<p class=\"verdict \(check.passed ? "pass" : "fail")\">check \(SVG.escape(check.verdict))</p>\n<ul class=\"checks\">"
        for item in check.items {
            html += "<li class=\"\(item.passed ? "ok" : "bad")\">\(item.passed ? "ok" : "FAIL") \(SVG.escape(item.name)) "
                + "(\(item.checked) \(SVG.escape(item.unit)))"
            for violation in item.violations.prefix(5) { html += "<br>– \(SVG.escape(violation.description))" }
            if item.violations.count > 5 { html += "<br>– … and \(item.violations.count - 5) more (market check lists them)" }
            html += "</li>"
        }
        html += "</ul>"
        let caption = "Each peer's own ledger (written when it stops; empty while it runs), the epochs it traded in and its faults; "
            + "the inventory per seller and product; and the verdict of the same history check as market check."
        return ReportSection(id: "books", title: "Books", caption: caption, count: inspection.peers.count + inspection.inventory.count,
                             body: html)
    }

    /// "1–3, 7" for epochs 1, 2, 3 and 7; a long list keeps its ends and says how many.
    static func compactEpochs(_ epochs: [Int]) -> String {
        let text = epochRanges(epochs)
        guard text.count > 10, epochs.count > 8 else { return text.joined(separator: ", ") }
        return "\(epochs.count) epochs: " + text.prefix(3).joined(separator: ", ") + " … " + text.suffix(2).joined(separator: ", ")
    }

    static func epochRanges(_ epochs: [Int]) -> [String] {
        var parts: [String] = []
        var index = 0
        while index < epochs.count {
            var end = index
            while end + 1 < epochs.count, epochs[end + 1] == epochs[end] + 1 { end += 1 }
            parts.append(end > index ? "\(epochs[index])–\(epochs[end])" : "\(epochs[index])")
            index = end + 1
        }
        return parts
    }

    static func optional<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "–" }

    static func money(_ cents: Int?) -> String {
        guard let cents else { return "–" }
        let value = abs(cents)
        return (cents < 0 ? "-" : "") + "\(value / 100).\(value % 100 < 10 ? "0" : "")\(value % 100)"
    }
}
