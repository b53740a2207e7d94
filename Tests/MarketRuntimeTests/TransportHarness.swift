import Foundation
import MarketCore
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import NIOPosix
import XCTest

/// One peer's real `Transport` on an event loop of its own, driven from the test's thread.
final class TransportNode: Sendable {
    let id: PeerID
    let loop: EventLoop
    private let bound: NIOLoopBound<Transport>

    /// - Parameters:
    ///   - tcpHost: listen on TCP on this host (authenticated links) rather than a Unix socket.
    ///   - log: what the transport complains of, on its loop.
    init(id: PeerID, peerCount: Int, directory: RunDirectory, loop: EventLoop, tcpHost: String? = nil,
         log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.id = id
        self.loop = loop
        bound = try Self.wait(for: loop.submit {
            NIOLoopBound(Transport(loop: loop, me: id, peerCount: peerCount, directory: directory, tcpHost: tcpHost, log: log),
                         eventLoop: loop)
        })
    }

    /// The transport itself, on its loop only.
    var onLoop: Transport { bound.value }

    /// Runs `body` on the loop and returns what it returned.
    func run<T: Sendable>(_ body: @escaping @Sendable (Transport) -> T) throws -> T {
        try Self.wait(for: loop.submit { [bound] in body(bound.value) })
    }

    /// Binds the peer's socket and returns its address; `deliver` gets every envelope, on the loop.
    @discardableResult
    func listen(_ deliver: @escaping @Sendable (Transport, Envelope) -> Void) throws -> PeerAddress {
        try Self.wait(for: loop.flatSubmit { [bound] in
            let transport = bound.value
            return transport.listen { deliver(transport, $0) }
        })
    }

    func onGone(_ gone: @escaping @Sendable (PeerID) -> Void) throws {
        try run { $0.gone = gone }
    }

    /// Sends heartbeats stamped `clocks` to `peer`, then flushes.
    func send(to peer: PeerID, clocks: some Sequence<UInt64> & Sendable) throws {
        let me = id
        try run { transport in
            for clock in clocks { transport.send(heartbeat(from: me, to: peer, clock: clock)) }
            transport.flush()
        }
    }

    /// Sends heartbeats stamped `clocks` to `peer`, each in a turn (a frame) of its own.
    func sendOneByOne(to peer: PeerID, clocks: some Sequence<UInt64> & Sendable) throws {
        for clock in clocks { try send(to: peer, clocks: [clock]) }
    }

    var dropped: Int {
        get throws { try run { $0.dropped } }
    }

    func close() throws {
        try Self.wait(for: loop.flatSubmit { [bound] in bound.value.close() })
    }

    /// The future's value, or an error when it takes longer than any working transport could:
    /// a send that blocked would otherwise hang the test.
    static func wait<T: Sendable>(for future: EventLoopFuture<T>, seconds: TimeInterval = 30) throws -> T {
        let result = Watched<Result<T, any Error>?>(nil)
        future.whenComplete { outcome in result.update { $0 = outcome } }
        guard result.wait(seconds: seconds, until: { $0 != nil }), let outcome = result.value else {
            throw RuntimeError("no answer from the event loop within \(Int(seconds)) s")
        }
        return try outcome.get()
    }
}

func heartbeat(from: PeerID, to: PeerID, clock: UInt64) -> Envelope {
    Envelope(from: from, to: to, clock: clock, message: .heartbeat(epoch: 1, leader: from))
}

extension XCTestCase {
    /// A run directory with a fresh secret, removed when the test ends.
    func makeRunDirectory() throws -> RunDirectory {
        let directory = try RunDirectory.create()
        addTeardownBlock { directory.remove() }
        return directory
    }

    /// `count` event loops, shut down (closing whatever is still open on them) when the test ends.
    func makeLoops(_ count: Int) -> [EventLoop] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: count)
        addTeardownBlock { try? group.syncShutdownGracefully() }
        return (0..<count).map { _ in group.next() }
    }
}
