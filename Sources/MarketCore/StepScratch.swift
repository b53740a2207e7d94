/// A value a step works with that is not part of a machine's state: it takes no part in `==`
/// or in hashing, so states that differ only in it are one state.
@propertyWrapper
public struct StepScratch<Value: Sendable>: Hashable, Sendable {
    public var wrappedValue: Value

    public init(wrappedValue: Value) {
        self.wrappedValue = wrappedValue
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { true }

    public func hash(into hasher: inout Hasher) {}
}
