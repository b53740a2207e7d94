import NIOSSL
import PostgresNIO

/// libpq's `sslmode` as postgres-nio's TLS setting (TCP only; a Unix socket has none).
enum PostgresTLS {
    static func tls(for mode: PostgresAddress.SSLMode, host: String) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable, .allow: return .disable
        // libpq encrypts without checking the certificate in these two modes.
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        let context = try NIOSSLContext(configuration: configuration)
        return mode == .prefer ? .prefer(context) : .require(context)
    }
}
