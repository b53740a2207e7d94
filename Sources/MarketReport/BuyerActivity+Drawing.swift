/// A buyer's requests on its lane of the timeline, in the band `top` to `top + height`.
extension BuyerActivity {
    func parts(time: LinearScale, top: Double, height: Double) -> [String] {
        var parts: [String] = []
        if isSummarized {
            parts += strip(time: time, top: top, height: height)
            // Over the strip, thinner, so the strip's colours stay readable around them.
            for mark in marks {
                parts.append(Self.bar(mark, time: time, top: top + height * 0.3, height: height * 0.4, extra: " wait"))
            }
        } else {
            for mark in marks { parts.append(Self.bar(mark, time: time, top: top, height: height, extra: "")) }
        }
        return parts
    }

    static func bar(_ mark: Mark, time: LinearScale, top: Double, height: Double, extra: String) -> String {
        let x = time(mark.fromMs)
        // A wait of a few microseconds is still a visible mark, the width of a tick.
        let width = max(time(mark.toMs) - x, 1.2)
        return SVG.rect(x: x, y: top, width: width, height: height, cssClass: "req-\(mark.outcome.rawValue)\(extra)", title: mark.title)
    }

    /// Two paths: per column, the share bought (blue, below) and failed (orange, above);
    /// neighbouring columns with the same shares are one rectangle, so a long stretch of
    /// one outcome costs a few bytes.
    func strip(time: LinearScale, top: Double, height: Double) -> [String] {
        var bought = ""
        var failed = ""
        let step = (time.range.upperBound - time.range.lowerBound) * columnMs / max(time.domain.upperBound - time.domain.lowerBound, 1e-9)
        var index = 0
        while index < columns.count {
            let share = Self.failedEighths(columns[index])
            var last = index
            while last + 1 < columns.count, columns[last + 1].index == columns[last].index + 1,
                  Self.failedEighths(columns[last + 1]) == share {
                last += 1
            }
            let x = time(Double(columns[index].index) * columnMs)
            let width = step * Double(columns[last].index - columns[index].index + 1)
            let failedHeight = height * Double(share) / 8
            if share > 0 { failed += Self.box(x: x, y: top, width: width, height: failedHeight) }
            if share < 8 { bought += Self.box(x: x, y: top + failedHeight, width: width, height: height - failedHeight) }
            index = last + 1
        }
        let title = SVG.escape(summary + "; a column is \(Duration.text(ms: columnMs)) of decisions, orange above for the share that failed")
        var parts: [String] = []
        if !bought.isEmpty { parts.append("<path d=\"\(bought)\" class=\"req-bought\"><title>\(title)</title></path>") }
        if !failed.isEmpty { parts.append("<path d=\"\(failed)\" class=\"req-failed\"><title>\(title)</title></path>") }
        return parts
    }

    /// The share of a column's decisions that failed, in eighths: never 0 while one failed,
    /// never 8 while one was bought.
    static func failedEighths(_ column: Column) -> Int {
        if column.failed == 0 { return 0 }
        if column.bought == 0 { return 8 }
        let share = Double(column.failed) / Double(column.failed + column.bought)
        return min(7, max(1, Int((share * 8).rounded())))
    }

    static func box(x: Double, y: Double, width: Double, height: Double) -> String {
        "M\(SVG.number(x)) \(SVG.number(y))h\(SVG.number(width))v\(SVG.number(height))h\(SVG.number(-width))z"
    }
}
