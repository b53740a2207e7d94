// Fault counts keyed by kind encode as a JSON object whose keys are the kinds' names
// (`{"crash": 1, "recover": 1}`), as the history spells them.
extension FaultKind: CodingKeyRepresentable {}
