extension Collection where Element: BinaryFloatingPoint {
    /// The `fraction` quantile (0...1, clamped) by linear interpolation between the closest
    /// ranks: the value at position `fraction × (count − 1)` of the sorted samples, between its
    /// two neighbours (Hyndman–Fan type 7, numpy's and R's default). Its 0.5 is the median, so a
    /// bench's p50, a report's median and every other middle value agree. Nil when empty.
    public func percentile(_ fraction: Element) -> Element? {
        guard !isEmpty else { return nil }
        let sorted = self.sorted()
        let position = Swift.min(Swift.max(fraction, 0), 1) * Element(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Element(lower))
    }

    /// The 50th percentile: the middle value once sorted; for an even count, the mean of the
    /// two middle values. Nil when empty.
    public func median() -> Element? { percentile(0.5) }
}
