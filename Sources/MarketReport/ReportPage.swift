import MarketStore

/// Everything one report shows: the read model of `market inspect db` (run, peers, elections,
/// inventory, the checker's verdict) and the run's chronicle in time.
public struct ReportInput: Sendable {
    public var inspection: RunInspection
    public var chronicle: RunChronicle
    /// The space-time window asked for, as the user wrote it (for the caption).
    public var windowLabel: String
    public var databasePath: String
    /// When the history was read (ISO-8601 UTC), shown for a run that is still live.
    public var readAt: String
    /// Failed decisions by reason, for the header: a run whose buys mostly fail says why at the top.
    public var failures: [FailureCount] = []

    public init(inspection: RunInspection, chronicle: RunChronicle, windowLabel: String, databasePath: String, readAt: String) {
        self.inspection = inspection
        self.chronicle = chronicle
        self.windowLabel = windowLabel
        self.databasePath = databasePath
        self.readAt = readAt
    }
}

/// One section of the page: a heading, a one-line caption saying how to read it, the drawing.
struct ReportSection {
    var id: String
    var title: String
    var caption: String
    /// How many things it drew (lanes, points, bars, arrows, rows): 0 means it has no data.
    var count: Int
    var body: String
}

/// The report as one self-contained HTML page: inline CSS and SVG, no script, no network.
public enum ReportPage {
    public static func html(_ input: ReportInput) -> String {
        let context = ReportContext(input)
        let sections = [
            TimelineSection.make(context),
            LatencySection.make(context),
            RateSection.make(context),
            SpaceTimeSection.make(context),
            BooksSection.make(context),
        ]
        let run = input.inspection.run
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>market run \(run.runID) · \(SVG.escape(run.scenario))</title>
            <style>\(ReportStyle.css)</style>
            </head><body>
            <header><h1>market run \(run.runID) · \(SVG.escape(run.scenario))</h1>
            <p class="summary">\(SVG.escape(context.summaryLine))</p>
            """
        if run.status == .running {
            page += "<p class=\"live\">This run was still going when the report was written (\(SVG.escape(input.readAt))): "
                + "it shows what was committed by then.</p>"
        }
        page += "<nav>" + sections.map { "<a href=\"#\($0.id)\">\(SVG.escape($0.title))</a>" }.joined(separator: " · ") + "</nav></header>\n"
        for section in sections {
            page += "<section id=\"\(section.id)\" data-count=\"\(section.count)\">\n"
            page += "<h2>\(SVG.escape(section.title))</h2>\n<p class=\"caption\">\(SVG.escape(section.caption))</p>\n"
            page += section.body + "\n</section>\n"
        }
        page += "<footer>Written by <code>market report</code> from \(SVG.escape(input.databasePath)), "
            + "run \(run.runID), read at \(SVG.escape(input.readAt)).</footer>\n</body></html>\n"
        return page
    }
}
