import Foundation
import MarketCore

// The line protocol between the supervisor and a peer process, over the peer's stdin and
// stdout: one command or report per line, words separated by one space. End of file on
// the peer's stdin means the supervisor is gone (so does a change of `getppid()`): the peer
// exits at once.

/// What the supervisor tells a peer (its stdin).
enum PeerCommand: Hashable, Sendable {
    /// `begin`: every peer of the run is listening; start the core (`Event.start`). A peer
    /// restarted after a crash starts at once (`Event.restart`) and is never told this.
    case begin
    /// `start-election`: the scenario's first election starts here (`Command.startElection`).
    case startElection
    /// `recover`: come back after a sickness (`Command.recover`).
    case recover
    /// `stop`: write the ledger to the store, answer `stopped`, exit 0.
    case stop
    /// `proceed`: the answer to `resumed`: the supervisor has looked at the peer's process
    /// (and recorded its continue, if it was paused); the peer goes on.
    case proceed
    /// `leave`: the run ends without ledgers (it failed or was interrupted) and the supervisor
    /// keeps the run's directory: exit at once, as at the end of file that follows. An end of
    /// file without it means the supervisor died, and the peers clean up after it.
    case leave
    /// `addresses <id>=<address> …`: where neighbours listen (`PeerAddress`), sent before
    /// `begin` on a run over TCP, and again with a restarted neighbour's new address. A peer
    /// restarted on such a run starts once it has the table.
    case addresses([PeerID: PeerAddress])
    /// `nemesis cut <from>><to>,…` or `nemesis heal`: the run's cut links from now on, all of
    /// them (each peer loses its own frames on the links from it); heal: none.
    case nemesis(Set<DirectedLink>)

    var line: String {
        switch self {
        case .nemesis(let links):
            return links.isEmpty ? "nemesis heal" : "nemesis cut \(NemesisCut.text(links))"

        case .addresses(let table):
            return (["addresses"] + table.keys.sorted().map { "\($0)=\(table[$0]!)" }).joined(separator: " ")
        case .begin: return "begin"
        case .startElection: return "start-election"
        case .recover: return "recover"
        case .stop: return "stop"
        case .proceed: return "proceed"
        case .leave: return "leave"
        }
    }

    init(line: String) throws(WireError) {
        let words = WireWords(line)
        switch words.first {
        case "begin": self = .begin
        case "start-election": self = .startElection
        case "recover": self = .recover
        case "stop": self = .stop
        case "proceed": self = .proceed
        case "leave": self = .leave
        case "nemesis":
            if words.rest == "heal" {
                self = .nemesis([])
                return
            }
            guard words.rest.hasPrefix("cut "), let links = NemesisCut.links(words.rest.dropFirst("cut ".count)),
                  !links.isEmpty else { throw .malformed(line) }
            self = .nemesis(links)
            return
        case "addresses":
            var table: [PeerID: PeerAddress] = [:]
            for entry in words.rest.split(separator: " ") {
                let parts = entry.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let id = PeerID(parts[0]), id >= 0, table[id] == nil,
                      let address = PeerAddress(text: String(parts[1])) else { throw .malformed(line) }
                table[id] = address
            }
            guard !table.isEmpty else { throw .malformed(line) }
            self = .addresses(table)
            return
        case "": throw .empty
        case let other: throw .unknown(other)
        }
        guard words.rest.isEmpty else { throw .malformed(line) }
    }
}

/// What a peer tells the supervisor (its stdout).
enum PeerReport: Hashable, Sendable {
    /// `ready`: listening on its socket (a restarted peer: and its core got `Event.restart`,
    /// unless it waits for `addresses`).
    case ready
    /// `listening <address>`: where neighbours reach it; said just before `ready`.
    case listening(PeerAddress)
    /// `sick silent|crash|resign`: the core reported `Effect.fellSick`.
    case sick(SickMode)
    /// `state up|down trader:<epoch>|- finished|buying`: where the peer stands, on every change.
    case state(PeerStanding)
    /// `stopped <bought> <sold> <cash_cents> <final_clock>`: the ledger is recorded.
    case stopped(Ledger, finalClock: UInt64)
    /// `fatal <why>`: the peer cannot go on (a store error); it exits non-zero.
    case fatal(String)
    /// `process <pid> <log path>`: a peer started over SSH says which process it is on its
    /// host (what the supervisor signals there) and where its log stays; said before `listening`.
    case process(pid: Int32, log: String)
    /// `resumed`: the peer's loop stood still for a while (stopped from outside, or starved);
    /// it holds every event until `proceed`, so nothing it does comes before the supervisor
    /// has recorded the continue.
    case resumed
    /// `paused` / `continued`: said for a peer over SSH by its host's `PauseWatch`, which sees
    /// it stopped from outside and continued, as the supervisor's `waitpid` does for a local one.
    case paused
    case continued

    var line: String {
        switch self {
        case .ready:
            return "ready"
        case .listening(let address):
            return "listening \(address)"
        case .sick(let mode):
            return "sick \(mode.rawValue)"
        case .state(let standing):
            let trader = standing.traderEpoch.map { "trader:\($0)" } ?? "-"
            return "state \(standing.up ? "up" : "down") \(trader) \(standing.finishedBuying ? "finished" : "buying")"
                + (standing.electing ? " electing" : "")
        case .stopped(let ledger, let clock):
            return "stopped \(ledger.bought) \(ledger.sold) \(ledger.cashCents) \(clock)"
        case .fatal(let why):
            // One line, whatever the error said.
            return "fatal " + why.split(whereSeparator: \.isNewline).joined(separator: " ")
        case .resumed:
            return "resumed"
        case .paused:
            return "paused"
        case .continued:
            return "continued"
        case .process(let pid, let log):
            return "process \(pid) \(log)"
        }
    }

    init(line: String) throws(WireError) {
        let words = WireWords(line)
        let rest = words.rest
        switch words.first {
        case "ready":
            guard rest.isEmpty else { throw .malformed(line) }
            self = .ready
        case "listening":
            guard let address = PeerAddress(text: rest) else { throw .malformed(line) }
            self = .listening(address)
        case "sick":
            guard let mode = SickMode(rawValue: rest) else { throw .malformed(line) }
            self = .sick(mode)
        case "state":
            guard let standing = Self.standing(rest) else { throw .malformed(line) }
            self = .state(standing)
        case "stopped":
            let numbers = rest.split(separator: " ", omittingEmptySubsequences: false)
            guard numbers.count == 4, let bought = Int(numbers[0]), let sold = Int(numbers[1]),
                  let cash = Int(numbers[2]), let clock = UInt64(numbers[3]) else { throw .malformed(line) }
            self = .stopped(Ledger(bought: bought, sold: sold, cashCents: cash), finalClock: clock)
        case "fatal":
            self = .fatal(rest)
        case "resumed":
            guard rest.isEmpty else { throw .malformed(line) }
            self = .resumed
        case "paused", "continued":
            guard rest.isEmpty else { throw .malformed(line) }
            self = words.first == "paused" ? .paused : .continued
        case "process":
            let parts = rest.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0 else { throw .malformed(line) }
            self = .process(pid: pid, log: String(parts[1]))
        case "":
            throw .empty
        case let other:
            throw .unknown(other)
        }
    }

    /// `up|down trader:<epoch>|- finished|buying [electing]`
    private static func standing(_ text: String) -> PeerStanding? {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3 || (words.count == 4 && words[3] == "electing") else { return nil }
        let up: Bool
        switch words[0] {
        case "up": up = true
        case "down": up = false
        default: return nil
        }
        let traderEpoch: Epoch?
        if words[1] == "-" {
            traderEpoch = nil
        } else if words[1].hasPrefix("trader:"), let epoch = Epoch(words[1].dropFirst("trader:".count)) {
            traderEpoch = epoch
        } else {
            return nil
        }
        let finished: Bool
        switch words[2] {
        case "finished": finished = true
        case "buying": finished = false
        default: return nil
        }
        return PeerStanding(up: up, traderEpoch: traderEpoch, finishedBuying: finished, electing: words.count == 4)
    }
}

/// A line that is not a command or report of the protocol.
enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    /// The first word is no command or report.
    case unknown(String)
    /// A known first word with arguments that do not fit it.
    case malformed(String)

    var description: String {
        switch self {
        case .empty: "an empty line"
        case .unknown(let word): "an unknown word '\(word.prefix(40))'"
        case .malformed(let line): "a malformed line '\(line.prefix(80))'"
        }
    }
}

/// A line's first word and the rest after one space; surrounding whitespace is ignored.
private struct WireWords {
    let first: String
    let rest: String

    init(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if let space = trimmed.firstIndex(of: " ") {
            first = String(trimmed[..<space])
            rest = String(trimmed[trimmed.index(after: space)...])
        } else {
            first = trimmed
            rest = ""
        }
    }
}
