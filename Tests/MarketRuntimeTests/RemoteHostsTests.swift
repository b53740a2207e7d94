import MarketCore
@testable import MarketRuntime
import XCTest

/// The pure parts of running peers on other hosts: the ssh command line, placement, and
/// what a peer over SSH reads first.
final class RemoteHostsTests: XCTestCase {
    func testMarketSSHIsSplitAsAShellSplitsWords() throws {
        XCTAssertEqual(try SSHCommand.fromEnvironment([:]).words, ["ssh"])
        XCTAssertEqual(try SSHCommand.fromEnvironment(["MARKET_SSH": "  "]).words, ["ssh"])
        XCTAssertEqual(try SSHCommand.fromEnvironment(["MARKET_SSH": "ssh -F /tmp/set/ssh_config"]).words,
                       ["ssh", "-F", "/tmp/set/ssh_config"])
        XCTAssertEqual(try SSHCommand.fromEnvironment(["MARKET_SSH": #"ssh -o 'ProxyCommand=nc %h %p' -i "my key" a\ b"#]).words,
                       ["ssh", "-o", "ProxyCommand=nc %h %p", "-i", "my key", "a b"])
        XCTAssertThrowsError(try SSHCommand.fromEnvironment(["MARKET_SSH": "ssh -o 'open"]))
        XCTAssertThrowsError(try SSHCommand.fromEnvironment(["MARKET_SSH": #"ssh \"#]))
    }

    func testTheRemoteCommandIsOneLineOfQuotedWords_inBatchMode() {
        let ssh = SSHCommand(words: ["ssh", "-F", "cfg"])
        let argv = ssh.argv(destination: "host2", remote: ["exec", "/opt/my market/market", "peer", "--db", "postgresql://u@h/d?x=1&y=2", "it's"])
        XCTAssertEqual(Array(argv.prefix(3)), ["ssh", "-F", "cfg"])
        XCTAssertTrue(argv.contains("BatchMode=yes"))
        XCTAssertEqual(argv.suffix(3), ["--", "host2", #"exec '/opt/my market/market' peer --db 'postgresql://u@h/d?x=1&y=2' 'it'\''s'"#])
        XCTAssertFalse(argv.contains("ServerAliveInterval=2"))
        // A peer's session notices a host cut off in seconds.
        let session = ssh.argv(destination: "host2", remote: ["true"], session: true)
        XCTAssertEqual(Array(session.suffix(7).prefix(4)), ["-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=3"])
    }

    func testPeersArePlacedRoundRobinUnlessTheScenarioSays() throws {
        let placed = try XCTUnwrap(HostPlacement.place(peers: [0, 1, 2, 3, 4], hosts: ["a", "b"], chosen: [3: "c"]))
        XCTAssertEqual(placed.destinations, [0: "a", 1: "b", 2: "a", 3: "c", 4: "a"])
        XCTAssertEqual(placed.hosts, ["a", "b", "c"])
        XCTAssertNil(try HostPlacement.place(peers: [0, 1], hosts: [], chosen: [:]))
        XCTAssertThrowsError(try HostPlacement.place(peers: [0, 1], hosts: [], chosen: [0: "a"]))
        XCTAssertThrowsError(try HostPlacement.place(peers: [0], hosts: ["-oProxyCommand=x"], chosen: [:]))
    }

    /// `local` is this host: no ssh login, no host check, and this machine's name in the history.
    func testLocalIsThisHostBesideTheRemoteOnes() throws {
        let placed = try XCTUnwrap(HostPlacement.place(peers: [0, 1, 2, 3], hosts: ["local", "b"], chosen: [3: "local"]))
        XCTAssertEqual(placed.hosts, ["b"], "only the remote hosts are logged into")
        XCTAssertTrue(placed.hasLocalPeers)
        XCTAssertEqual([0, 1, 2, 3].map { placed.remoteDestination(of: $0) }, [nil, "b", nil, nil])
        XCTAssertEqual(placed.recordedHost(of: 0), LocalHost.name)
        XCTAssertEqual(placed.recordedHost(of: 1), "b")
    }

    /// The watch beside a remote peer reads its state letter from /proc, a command name with
    /// spaces and parentheses in it notwithstanding.
    func testThePauseWatchReadsAProcessState() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/proc/self/stat"), "no /proc here")
        XCTAssertNotNil(PauseWatch.state(of: getpid()))
        XCTAssertNotEqual(PauseWatch.state(of: getpid()), "T")
        XCTAssertNil(PauseWatch.state(of: -1))
    }

    /// The address a local peer listens on is the one the route to the remote host leaves from.
    func testTheOutwardAddressIsTheRoutesSourceAddress() throws {
        XCTAssertEqual(try OutwardAddress.sourceAddress(toward: "127.0.0.1"), "127.0.0.1")
        XCTAssertThrowsError(try OutwardAddress.sourceAddress(toward: "host1"), "a name is not an address")
    }

    func testAPeerOverSSHIsStartedWithoutItsDirectoryOrSecretOnTheCommandLine() {
        var options = PeerOptions(directory: "/tmp/market-1-abcdef", id: 3, runID: 7, databasePath: "postgresql://m@10.0.0.1/m",
                                  durability: .normal, restart: false, verbose: false, trace: false)
        options.tcpHost = "127.0.0.1"
        options.overSSH = true
        XCTAssertEqual(options.arguments, ["peer", "--over-ssh", "--id", "3", "--run-id", "7", "--db", "postgresql://m@10.0.0.1/m",
                                           "--durability", "normal"])
    }
}
