import MarketStore

/// Decisions per 100 ms over the run's time.
enum RateSection {
    static let binMs = 100.0
    /// Wider bins once the run would need more than this many (still counted per 100 ms).
    static let maxBins = 600
    static let top = 24.0
    static let plotHeight = 150.0

    static func make(_ context: ReportContext) -> ReportSection {
        let time = context.time
        let end = time.domain.upperBound
        let needed = Int((end / binMs).rounded(.up))
        let group = max(1, (needed + maxBins - 1) / maxBins)
        let width = binMs * Double(group)
        let count = max(1, Int((end / width).rounded(.up)))
        var bought = [Double](repeating: 0, count: count)
        var failed = [Double](repeating: 0, count: count)
        for request in context.chronicle.requests {
            guard let at = request.decidedMs else { continue }
            let bin = min(count - 1, max(0, Int(at / width)))
            if request.status == .failed { failed[bin] += 1 } else { bought[bin] += 1 }
        }
        let perHundred = 1 / Double(group)
        let peak = max(zip(bought, failed).map { ($0 + $1) * perHundred }.max() ?? 0, 1)
        let scale = LinearScale(domain: 0...niceCeiling(peak), range: Span(lowerBound: top + plotHeight, upperBound: top))
        var parts = context.electionBands(top: top, height: plotHeight)
        for tick in scale.ticks(4) {
            parts.append(SVG.line(x1: time.range.lowerBound, y1: scale(tick), x2: time.range.upperBound, y2: scale(tick), cssClass: "grid"))
            parts.append(SVG.text(SVG.number(tick), x: time.range.lowerBound - 5, y: scale(tick) + 3.5, cssClass: "tick", anchor: "end"))
        }
        var nonEmpty = 0
        for bin in 0..<count where bought[bin] + failed[bin] > 0 {
            nonEmpty += 1
            let x = time(Double(bin) * width)
            let barWidth = max(time(Double(bin + 1) * width) - x - 0.3, 0.6)
            let boughtTop = scale(bought[bin] * perHundred)
            let allTop = scale((bought[bin] + failed[bin]) * perHundred)
            let title = "\(Duration.text(ms: Double(bin) * width))–\(Duration.text(ms: Double(bin + 1) * width)): "
                + "\(Int(bought[bin])) bought, \(Int(failed[bin])) failed"
            if bought[bin] > 0 {
                parts.append(SVG.rect(x: x, y: boughtTop, width: barWidth, height: scale(0) - boughtTop, cssClass: "rate", title: title))
            }
            if failed[bin] > 0 {
                parts.append(SVG.rect(x: x, y: allTop, width: barWidth, height: boughtTop - allTop, cssClass: "rate-failed", title: title))
            }
        }
        parts.append(SVG.text("decisions per 100 ms", x: 4, y: 10, cssClass: "tick"))
        parts += context.timeAxis(y: top + plotHeight)
        let svg = SVG.frame(width: ReportContext.width, height: top + plotHeight + 22, label: "decisions per 100 ms", parts)
        var caption = "Decisions per 100 ms (blue bought, orange failed on top) by the time they were decided; violet bands are elections, "
            + "where the rate drops while no one trades."
        if group > 1 {
            caption = "Decisions per 100 ms, averaged over bins of \(Duration.text(ms: width)) so the run fits \(maxBins) bars "
                + "(blue bought, orange failed on top), by the time they were decided; violet bands are elections."
        }
        return ReportSection(id: "rate", title: "Rate", caption: caption, count: nonEmpty, body: svg)
    }

    /// 1, 2 or 5 times a power of ten, at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        return [1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= value } ?? power * 10
    }
}
