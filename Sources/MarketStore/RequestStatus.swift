/// Where a buy request stands, as `requests.status` holds it.
public enum RequestStatus: String, CaseIterable, Codable, Sendable {
    case pending, bought, failed
}
