import Foundation
import MarketStore

/// Every request's wait from received to decided, over time (the seed's Figure 2).
enum LatencySection {
    /// Up to this many requests get a point each; above it the plain ones are summarized.
    static let pointLimit = 3000
    /// Takeovers and failures stay points up to this many; beyond it they are sampled.
    static let highlightLimit = 2000
    static let columns = 250

    static let top = 12.0
    static let plotHeight = 260.0

    static func make(_ context: ReportContext) -> ReportSection {
        let requests = context.chronicle.requests
        let decided = requests.filter { $0.decidedMs != nil }
        let waits = decided.map { max($0.decidedMs! - $0.receivedMs, 0) }
        // Times are kept to the microsecond: the lowest decade is the one of the shortest wait
        // (1 µs at the finest), and only a wait of 0 sits on the bottom line below it.
        let shortest = waits.filter { $0 > 0 }.min() ?? 1
        let lowestDecade = min(max(pow(10, log10(shortest).rounded(.down)), 0.001), 1)
        let low = lowestDecade * 0.4
        let high = max(pow(10, (log10(max(waits.max() ?? 1, 1))).rounded(.up)), 10)
        let y = { (wait: Double) -> Double in
            let clamped = min(max(wait, low), high)
            return top + plotHeight * (1 - (log10(clamped) - log10(low)) / (log10(high) - log10(low)))
        }
        let time = context.time
        var parts = context.electionBands(top: top, height: plotHeight)
        parts.append(SVG.line(x1: time.range.lowerBound, y1: y(0), x2: time.range.upperBound, y2: y(0), cssClass: "grid"))
        parts.append(SVG.text("0", x: time.range.lowerBound - 5, y: y(0) + 3.5, cssClass: "tick", anchor: "end"))
        var decade = lowestDecade
        while decade <= high * 1.0001 {
            let yy = y(decade)
            parts.append(SVG.line(x1: time.range.lowerBound, y1: yy, x2: time.range.upperBound, y2: yy, cssClass: "grid"))
            parts.append(SVG.text(Duration.text(ms: decade), x: time.range.lowerBound - 5, y: yy + 3.5, cssClass: "tick", anchor: "end"))
            decade *= 10
        }
        var drawn = 0
        var caption = "Each request's wait from received to decided (log scale; times are kept to the microsecond) "
            + "at the time it was received: blue bought, orange failed, "
            + "red ring taken over by a later trader; violet bands are elections."
        let plain = decided.indices.filter { !decided[$0].isTakeover && decided[$0].status != .failed }
        let highlighted = decided.indices.filter { decided[$0].isTakeover || decided[$0].status == .failed }
        if decided.count <= pointLimit {
            for index in plain + highlighted {
                parts.append(point(decided[index], wait: waits[index], x: time(decided[index].receivedMs), y: y(waits[index])))
            }
            drawn = decided.count
        } else {
            let bands = summary(plain.map { (decided[$0].receivedMs, waits[$0]) }, time: time, y: y)
            parts += bands.parts
            drawn += bands.columns
            let step = max(1, (highlighted.count + highlightLimit - 1) / highlightLimit)
            for index in stride(from: 0, to: highlighted.count, by: step) {
                let request = highlighted[index]
                parts.append(point(decided[request], wait: waits[request], x: time(decided[request].receivedMs), y: y(waits[request])))
                drawn += 1
            }
            caption = "\(decided.count) decided requests are too many for a point each: per 1/\(columns) of the run, "
                + "the grey band spans the fastest to the slowest bought request and the blue line is their median "
                + "(log scale, kept to the microsecond, by the time they were received); every takeover (red ring) "
                + "and failure (orange) is a point"
                + (step > 1 ? " (1 in \(step) of them shown)" : "") + "; violet bands are elections."
        }
        let pending = requests.filter { $0.decidedMs == nil }
        if !pending.isEmpty {
            for request in pending.prefix(highlightLimit) {
                parts.append(SVG.rect(x: time(request.receivedMs) - 0.5, y: top - 6, width: 1, height: 5, cssClass: "pending",
                                      title: "\(request.requestID) pending since \(Duration.text(ms: request.receivedMs))"))
            }
            caption += " Grey ticks on top: \(pending.count) requests not decided when this was read."
        }
        parts += context.timeAxis(y: top + plotHeight)
        let svg = SVG.frame(width: ReportContext.width, height: top + plotHeight + 22, label: "wait of each request", parts)
        return ReportSection(id: "latency", title: "Latency", caption: caption, count: drawn, body: svg + "\n" + statsLine(waits, decided))
    }

    static func point(_ request: RunChronicle.Request, wait: Double, x: Double, y: Double) -> String {
        let cssClass = request.isTakeover ? "takeover" : request.status == .failed ? "failed" : "bought"
        let epochs = request.isTakeover ? ", received in epoch \(request.epochReceived ?? 0), decided in epoch \(request.epochDecided ?? 0)" : ""
        return SVG.circle(x: x, y: y, radius: request.isTakeover ? 2.6 : 1.6, cssClass: cssClass,
                          title: "\(request.requestID) \(request.status.rawValue) after \(Duration.text(ms: wait))\(epochs)")
    }

    /// Min–max band and median line per column of the plot.
    static func summary(_ samples: [(at: Double, wait: Double)], time: LinearScale,
                        y: (Double) -> Double) -> (parts: [String], columns: Int) {
        guard !samples.isEmpty else { return ([], 0) }
        let span = time.domain.upperBound - time.domain.lowerBound
        var buckets = [[Double]](repeating: [], count: columns)
        for sample in samples {
            let column = min(columns - 1, max(0, Int((sample.at - time.domain.lowerBound) / span * Double(columns))))
            buckets[column].append(sample.wait)
        }
        var parts: [String] = []
        var median = ""
        let width = (time.range.upperBound - time.range.lowerBound) / Double(columns)
        var filled = 0
        for (column, bucket) in buckets.enumerated() where !bucket.isEmpty {
            filled += 1
            let sorted = bucket.sorted()
            let middle = sorted.median() ?? 0
            let x = time.range.lowerBound + width * Double(column)
            let yMax = y(sorted.last!)
            let yMin = y(sorted.first!)
            parts.append(SVG.rect(x: x, y: yMax, width: width, height: max(yMin - yMax, 1), cssClass: "band",
                                  title: "\(bucket.count) requests: \(Duration.text(ms: sorted.first!))–\(Duration.text(ms: sorted.last!)), "
                                      + "median \(Duration.text(ms: middle))"))
            median += (median.isEmpty ? "M" : "L") + "\(SVG.number(x + width / 2)) \(SVG.number(y(middle)))"
        }
        parts.append("<path d=\"\(median)\" class=\"median\"/>")
        return (parts, filled)
    }

    static func statsLine(_ waits: [Double], _ decided: [RunChronicle.Request]) -> String {
        guard !waits.isEmpty else { return "<p class=\"note\">No request decided yet.</p>" }
        let sorted = waits.sorted()
        func quantile(_ q: Double) -> String { Duration.text(ms: sorted.percentile(q) ?? 0) }
        let mean = waits.reduce(0, +) / Double(waits.count)
        let takeovers = decided.filter(\.isTakeover).count
        return "<p class=\"note\">\(waits.count) decided: median \(quantile(0.5)), p99 \(quantile(0.99)), max \(Duration.text(ms: sorted.last!)), "
            + "mean \(Duration.text(ms: mean)); \(takeovers) taken over.</p>"
    }
}
