import Foundation
import MarketCore
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import NIOPosix
import XCTest

/// Over TCP as over Unix sockets, a neighbour that is gone is known at once: its port
/// refuses the dial, whether its address is a number or a name that resolves to several.
final class TransportTCPGoneTests: XCTestCase {
    func assertGoneAtOnce(dialling host: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try makeRunDirectory()
        let loops = makeLoops(2)
        let listener = try TransportNode(id: 1, peerCount: 2, directory: directory, loop: loops[1], tcpHost: "127.0.0.1")
        guard case .tcp(_, let port) = try listener.listen({ _, _ in }) else {
            return XCTFail("not a TCP address", file: file, line: line)
        }
        try listener.close()
        let sender = try TransportNode(id: 0, peerCount: 2, directory: directory, loop: loops[0], tcpHost: "127.0.0.1")
        defer { try? sender.close() }
        let gone = Watched<[PeerID]>([])
        try sender.onGone { peer in gone.update { $0.append(peer) } }
        try sender.run { $0.learn([1: .tcp(host: host, port: port)]) }
        try sender.send(to: 1, clocks: 1...1)
        XCTAssert(gone.wait(seconds: 10) { $0 == [1] }, "a refused dial to \(host) did not say P1 is gone",
                  file: file, line: line)
    }

    func test_aNeighbourGone_atAnAddress_isKnownAtOnce() throws {
        try assertGoneAtOnce(dialling: "127.0.0.1")
    }

    func test_aNeighbourGone_atAName_isKnownAtOnce() throws {
        try assertGoneAtOnce(dialling: "localhost")
    }
}
