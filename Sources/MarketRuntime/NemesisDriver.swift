import Foundation
import MarketCore
import NIOCore

/// The supervisor's side of the nemesis: it takes the steps of the run's `NemesisSchedule`
/// on time (timers on the supervisor's event loop, counted from when the peers begin),
/// resolves "isolate the trader" to whoever trades at that moment, tells every peer the
/// whole cut (`nemesis cut …` / `nemesis heal`; each peer loses its own frames on the links
/// from it), and records each action and heal in the history. A peer that starts again
/// while links are cut is told the cut when it is ready.
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

    init(loop: EventLoop, plan: NemesisPlan, peers: [PeerID], seed: UInt64, history: HistoryWriter,
         tell: @escaping (PeerID?, PeerCommand) -> Void, trader: @escaping () -> PeerID?) {
        self.loop = loop
        schedule = NemesisSchedule(plan: plan, peers: peers, seed: seed)
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
        case .cut(let cut): action = cut
        case .isolateTrader: action = NemesisCut.isolating(trader(), among: schedule.peers)
        }
        if action != nil { actions += 1 }
        cut = action?.links ?? []
        history.recordNemesis(action)
        tell(nil, .nemesis(cut))
        armNext()
    }

    /// A peer (re)started and listens: it is told the cut, if any.
    func ready(_ peer: PeerID) {
        if !cut.isEmpty { tell(peer, .nemesis(cut)) }
    }

    /// The run ends: no more steps.
    func stop() {
        timer?.cancel()
        timer = nil
    }
}
