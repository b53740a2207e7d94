import ArgumentParser
import Foundation
import MarketBench
import MarketRuntime
import MarketStore

/// `market bench --hosts`: the hosts plan beside the one-host plan.
extension BenchCommand {
    var hostList: [String] { hosts.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? [] }

    func validateHosts() throws {
        guard let hosts else {
            if db != nil { throw ValidationError("--db names the hosts plan's store: give --hosts too") }
            if onlyHosts || remoteMarket != nil || cutHostCommand != nil || healHostCommand != nil {
                throw ValidationError("--only-hosts, --remote-market, --cut-host-command and --heal-host-command go with --hosts")
            }
            return
        }
        if hostList.contains(where: \.isEmpty) {
            throw ValidationError("--hosts must be SSH destinations separated by commas, none empty: \(hosts)")
        }
        guard let db, case .postgres = try? DatabaseLocation.parse(db) else {
            throw ValidationError("--hosts needs --db postgresql://…: one store every host reaches")
        }
        if (cutHostCommand == nil) != (healHostCommand == nil) {
            throw ValidationError("--cut-host-command and --heal-host-command go together: a host cut off must be healed")
        }
    }

    /// Every host answers with the same market before anything is measured, as `market run` asks.
    func checkHosts(_ say: (String) -> Void) throws {
        guard hosts != nil else { return }
        let remote = hostList.filter { $0 != HostPlacement.localWord }
        say("asking \(remote.joined(separator: ", ")) for market --version over ssh")
        let ssh = try SSHCommand.fromEnvironment()
        if let problem = RemoteHostCheck.problems(hosts: remote, ssh: ssh,
                                                  remoteMarket: remoteMarket ?? CurrentExecutable.path).first {
            throw BenchError.system(problem)
        }
    }

    func hostsPlan(runner: MarketRunner, plan: SystemBench.Plan, repetitions: Int,
                   _ say: @escaping (String) -> Void) throws -> HostsFigures? {
        guard let db, hosts != nil else { return nil }
        let setup = HostsBench.Setup(hosts: hostList, database: db, ssh: try SSHCommand.fromEnvironment(),
                                     remoteMarket: remoteMarket, cutCommand: cutHostCommand, healCommand: healHostCommand)
        var plan = plan
        if smoke {
            // Runs over ssh start slowly (a session a peer): the smallest runs that still give each figure.
            plan.sequentialRequests = 50
            plan.tracedBuys = 48
            plan.failoverRequests = 40
        }
        var bench = HostsBench(runner: runner, plan: plan, setup: setup, progress: say)
        return try bench.measure(roundTrips: smoke ? 200 : quick ? 2_000 : 5_000, repetitions: repetitions)
    }

    func printHostsOnly(plan: SystemBench.Plan, repetitions: Int, _ say: @escaping (String) -> Void) throws {
        try checkHosts(say)
        let runner = try MarketRunner(market: URL(fileURLWithPath: CurrentExecutable.path))
        defer { runner.removeScratch() }
        guard let figures = try hostsPlan(runner: runner, plan: plan, repetitions: repetitions, say) else { return }
        say("done")
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(["hosts": figures]), as: UTF8.self))
        } else {
            print(BenchTable.hostsOnly(figures))
        }
    }
}
