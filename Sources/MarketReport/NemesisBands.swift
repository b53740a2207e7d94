import MarketStore

extension ReportContext {
    /// A shaded band per nemesis action over a drawing's plot area, from the action to the
    /// step after it (its heal, or the next cut of a flaky action), or to the run's end.
    func nemesisBands(top: Double, height: Double) -> [String] {
        let steps = chronicle.nemesis
        return steps.enumerated().compactMap { index, step in
            guard !step.isHeal else { return nil }
            let from = step.atMs
            let to = index + 1 < steps.count ? steps[index + 1].atMs : time.domain.upperBound
            let x = time(from)
            let sides = step.groups.isEmpty ? "nobody cut off" : step.groups
            let links = step.links.isEmpty ? "no link cut" : "cut \(step.links)"
            return SVG.rect(x: x, y: top, width: max(time(to) - x, 1.5), height: height, cssClass: "nemesis",
                            title: "\(step.action) at \(Duration.text(ms: from)) for \(Duration.text(ms: to - from)): \(sides); \(links)")
        }
    }
}
