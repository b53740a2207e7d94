import Foundation
import MarketCore
import NIOCore

/// The supervisor's side of the nemesis: it takes the steps of the run's `NemesisSchedule`
/// on time (timers on the supervisor's event loop, counted from when the peers begin),
/// resolves "isolate the trader" to whoever trades at that moment, tells every peer the
/// whole cut (`nemesis cut …` / `nemesis heal`; each peer loses its own frames on the links
/// from it), and records each action and heal in the history. A peer that starts again
/// while links are cut is told the cut when it is ready. With `--nemesis-cuts network` the
/// sides are drawn over hosts (`HostCuts`), the peers are told nothing, and the hosts
/// blackhole each other (`BlackholeRoutes`): the step is recorded once its routes are in.
final class NemesisDriver {
    private let loop: EventLoop
    private var schedule: NemesisSchedule
    private let history: HistoryWriter
    /// Tells one peer (nil: every peer) a command.
    private let tell: (PeerID?, PeerCommand) -> Void
    /// Who trades now, as the store's leader record says.
    private let trader: () -> PeerID?
    private var began: NIODeadline?
    private var timer: Scheduled<Void>?
    /// The links cut now.
    private(set) var cut: Set<DirectedLink> = []
    /// Actions taken (heals not counted).
    private(set) var actions = 0
    private let peers: [PeerID]
    /// Real cuts between hosts; nil: the links layer cuts.
    private let network: NetworkCuts?

    /// What real cuts need: the hosts, their routes, each host's address (as its peers
    /// listen on it), and where to say that a host could not be told.
    struct NetworkCuts {
        let hosts: HostCuts
        let routes: BlackholeRoutes
        let address: (String) -> String?
        let failed: (String) -> Void
    }

    init(loop: EventLoop, plan: NemesisPlan, peers: [PeerID], seed: UInt64, history: HistoryWriter,
         network: NetworkCuts? = nil,
         tell: @escaping (PeerID?, PeerCommand) -> Void, trader: @escaping () -> PeerID?) {
        self.loop = loop
        self.peers = peers.sorted()
        self.network = network
        schedule = NemesisSchedule(plan: plan, peers: network?.hosts.scheduleIDs ?? peers, seed: seed)
        self.history = history
        self.tell = tell
        self.trader = trader
    }

    /// The peers have begun: the schedule's times count from now.
    func begin() {
        guard began == nil else { return }
        began = .now()
        armNext()
    }

    private func armNext() {
        guard let began, let step = schedule.next() else { return }
        timer = loop.assumeIsolated().scheduleTask(deadline: began + TimeAmount(step.at)) { [self] in take(step) }
    }

    private func take(_ step: NemesisStep) {
        let action: NemesisCut?
        switch step.action {
        case .heal: action = nil
        case .cut(let cut): action = network.map { $0.hosts.overPeers(cut) } ?? cut
        case .isolateTrader: action = NemesisCut.isolating(trader(), among: peers)
        }
        if action != nil { actions += 1 }
        cut = action?.links ?? []
        if let network {
            cutHosts(action, network)
        } else {
            history.recordNemesis(action)
            tell(nil, .nemesis(cut))
        }
        armNext()
    }

    /// Routes toward the addresses across the cut on each host; a host that cannot be told ends
    /// the run. An action is recorded before its routes go in and a heal once they are all out,
    /// so the recorded cut holds the real one (which `market check` relies on to excuse an
    /// election a cut peer could not hear), however long ssh takes.
    private func cutHosts(_ action: NemesisCut?, _ network: NetworkCuts) {
        if action != nil { history.recordNemesis(action) }
        var wanted: [String: Set<String>] = [:]
        for (host, across) in network.hosts.blackholes(action?.links ?? []) {
            let addresses = Set(across.compactMap(network.address))
            if !addresses.isEmpty { wanted[host] = addresses }
        }
        let bound = NIOLoopBound(self, eventLoop: loop)
        let loop = loop
        network.routes.apply(wanted) { failure in
            loop.execute {
                if let failure {
                    bound.value.network?.failed(failure)
                } else if action == nil {
                    bound.value.history.recordNemesis(nil)
                }
            }
        }
    }

    /// A peer (re)started and listens: it is told the cut, if any (a route needs no telling).
    func ready(_ peer: PeerID) {
        if !cut.isEmpty, network == nil { tell(peer, .nemesis(cut)) }
    }

    /// The run ends: no more steps, and no route left on any host. Blocks until the hosts
    /// answered.
    func stop() {
        timer?.cancel()
        timer = nil
        guard let network else { return }
        cut = []
        for line in network.routes.removeAll() { DescriptorWriter.standardError.write("market run: \(line)\n") }
    }
}
