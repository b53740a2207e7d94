import MarketCore

extension StoreRequest {
    /// The case's own name (`commitDecisions`), read off the value so a new case names itself.
    /// Every case carries a payload, which reflection labels with the case name.
    var kindName: String {
        Mirror(reflecting: self).children.first?.label ?? String(describing: self)
    }
}
