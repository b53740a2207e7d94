import ArgumentParser
import MarketCore

struct ScenariosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios",
        abstract: "List the built-in scenarios and what a run of each is expected to show."
    )

    func run() {
        print(
            "Each buyer wants one product; a sold-out seller restocks a random one (as in the lab), so in most scenarios "
                + "most buys fail \"no seller\" by design once the first stock of 100 is sold.")
        print("")
        for line in TextTable.lines([["scenario", "shape", "expect"]] + BuiltInScenario.allCases.map { [$0.rawValue, $0.summary, Self.expected($0)] }) {
            print(line)
        }
    }

    /// What a run with the default knobs shows, so that a run full of failed buys is not mistaken for a broken one.
    static func expected(_ scenario: BuiltInScenario) -> String {
        switch scenario {
        case .testCase1: "about half the buys fail \"no seller\" (sellers restock other products); elections when the trader falls sick"
        case .testCase2: "100 bought, the rest fail \"no seller\" once the salt is sold; P3 trades first"
        case .testCase3: "the salt buyers share the salt in Lamport order; most buys fail \"no seller\" after it"
        case .normal: "depends on the seed; failures are \"no seller\" where nobody sells a buyer's product"
        case .singlePair: "the first 100 bought, then \"no seller\" until a restock is the buyer's product"
        case .oneDown: "no election waits for the down peer; 100 bought, then \"no seller\""
        case .lonePeer: "one election, no requests"
        case .noMatch: "every buy fails \"no seller\""
        case .lab: "300 bought of 3000, the rest \"no seller\"; more elections as --sick-rate rises"
        case .manyBuyers: "nearly every buy succeeds (stock never runs out); the throughput scenario"
        }
    }
}
