import XCTest

extension XCTestCase {
    /// `count` namespaced hosts for this test, removed when it ends, passed or failed; where hosts
    /// cannot be made the test is skipped, saying why.
    public func namespacedHosts(_ count: Int = 3) throws -> NamespacedHosts {
        let hosts: NamespacedHosts
        do {
            hosts = try NamespacedHosts(hosts: count)
        } catch let unavailable as NamespacedHostsUnavailable {
            throw XCTSkip("no namespaced hosts here: \(unavailable.reason)")
        }
        addTeardownBlock {
            if let problem = hosts.remove() { XCTFail("the hosts set \(hosts.prefix) was not removed: \(problem)") }
        }
        return hosts
    }
}
