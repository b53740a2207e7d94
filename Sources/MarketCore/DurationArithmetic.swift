extension Duration {
    /// The whole nanoseconds in this duration (truncated toward zero), clamped to `Int64`.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let whole = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let total = whole.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !whole.overflow, !total.overflow else { return seconds < 0 ? .min : .max }
        return total.partialValue
    }

    /// This duration in seconds, for rates and figures.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
