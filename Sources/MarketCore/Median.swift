extension Collection where Element: BinaryFloatingPoint {
    /// The middle value once sorted; for an even count, the mean of the two middle values.
    /// Nil when empty.
    public func median() -> Element? {
        guard !isEmpty else { return nil }
        let sorted = self.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
