/// Each buyer's recorded requests are numbered 0, 1, 2, … with none missing.
///
/// A buyer numbers its requests in order (one or several in flight), and a buyer restored
/// after a crash makes again any number below its highest recorded one that the store lacks,
/// then goes on from there, counting what is recorded as done (`Peer.restore`). So a request missing from the middle of a buyer's numbers is a request
/// the buyer counted that the history lost, and the run would end short without any other
/// check noticing.
public enum RequestsInSequence {
    public static func check(_ ids: some Sequence<RequestID>) -> [Violation] {
        var seqs: [PeerID: Set<Int>] = [:]
        for id in ids { seqs[id.buyer, default: []].insert(id.seq) }
        var violations: [Violation] = []
        for buyer in seqs.keys.sorted() {
            let recorded = seqs[buyer]!.sorted()
            var expected = 0
            for seq in recorded {
                if seq > expected {
                    let missing = expected == seq - 1
                        ? "\(RequestID(buyer: buyer, seq: expected)) is missing"
                        : "\(RequestID(buyer: buyer, seq: expected)) to \(RequestID(buyer: buyer, seq: seq - 1)) "
                            + "(\(seq - expected)) are missing"
                    violations.append(Violation(.requestsInSequence,
                                                "\(missing), yet \(RequestID(buyer: buyer, seq: seq)) is recorded"))
                }
                expected = seq + 1
            }
        }
        return violations
    }
}
