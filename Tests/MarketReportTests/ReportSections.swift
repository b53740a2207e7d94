import Foundation

/// The sections of a written report, by id, with the count of things each drew.
struct ReportSections {
    let counts: [String: Int]

    init(_ page: String) {
        var counts: [String: Int] = [:]
        let pattern = try! NSRegularExpression(pattern: #"<section id="([a-z]+)" data-count="(\d+)">"#)
        for match in pattern.matches(in: page, range: NSRange(page.startIndex..., in: page)) {
            let id = String(page[Range(match.range(at: 1), in: page)!])
            counts[id] = Int(page[Range(match.range(at: 2), in: page)!])
        }
        self.counts = counts
    }

    func count(_ id: String) -> Int? { counts[id] }
}
