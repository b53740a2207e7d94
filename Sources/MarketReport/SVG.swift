/// Small pieces of SVG and HTML text, written by hand so the page needs nothing else.
enum SVG {
    /// A coordinate with at most one decimal, without a trailing ".0": the page stays small.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
        let whole = tenths / 10
        let rest = abs(tenths % 10)
        if rest == 0 { return String(whole) }
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(rest)"
    }

    /// Text made safe for HTML and SVG, in element content and in quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, cssClass: String, title: String? = nil) -> String {
        let shape = "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(max(width, 0.5)))\" height=\"\(number(height))\" class=\"\(cssClass)\""
        guard let title else { return shape + "/>" }
        return shape + "><title>\(escape(title))</title></rect>"
    }

    static func line(x1: Double, y1: Double, x2: Double, y2: Double, cssClass: String, extra: String = "") -> String {
        "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\" class=\"\(cssClass)\"\(extra)/>"
    }

    static func text(_ content: String, x: Double, y: Double, cssClass: String, anchor: String = "start") -> String {
        let anchorAttribute = anchor == "start" ? "" : " text-anchor=\"\(anchor)\""
        return "<text x=\"\(number(x))\" y=\"\(number(y))\" class=\"\(cssClass)\"\(anchorAttribute)>\(escape(content))</text>"
    }

    static func circle(x: Double, y: Double, radius: Double, cssClass: String, title: String? = nil) -> String {
        let shape = "<circle cx=\"\(number(x))\" cy=\"\(number(y))\" r=\"\(number(radius))\" class=\"\(cssClass)\""
        guard let title else { return shape + "/>" }
        return shape + "><title>\(escape(title))</title></circle>"
    }

    /// One `<svg>` that scales with the page width and keeps its proportions.
    static func frame(width: Double, height: Double, label: String, _ body: [String]) -> String {
        "<svg viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" aria-label=\"\(escape(label))\">\n"
            + body.joined(separator: "\n") + "\n</svg>"
    }
}

/// Two ends of a drawing span; unlike a `ClosedRange` it may run backwards (a y axis).
struct Span {
    var lowerBound: Double
    var upperBound: Double
}

/// A linear map from data to drawing coordinates.
struct LinearScale {
    var domain: ClosedRange<Double>
    var range: Span

    func callAsFunction(_ value: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0 else { return range.lowerBound }
        return range.lowerBound + (value - domain.lowerBound) / span * (range.upperBound - range.lowerBound)
    }

    /// Round values for axis ticks: about `count` of them, at 1, 2 or 5 times a power of ten.
    func ticks(_ count: Int = 8) -> [Double] {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0, count > 0 else { return [domain.lowerBound] }
        let raw = span / Double(count)
        var power = 1.0
        while power * 10 <= raw { power *= 10 }
        while power > raw { power /= 10 }
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= raw } ?? power * 10
        var ticks: [Double] = []
        var value = (domain.lowerBound / step).rounded(.up) * step
        while value <= domain.upperBound + step * 1e-9 {
            ticks.append(value)
            value += step
        }
        return ticks
    }
}

/// How a length of time reads on an axis or in a caption.
enum Duration {
    static func text(ms: Double) -> String {
        if ms >= 10_000 { return SVG.number(ms / 1000) + " s" }
        if ms >= 1000 { return (ms.truncatingRemainder(dividingBy: 1000) == 0 ? SVG.number(ms / 1000) : format2(ms / 1000)) + " s" }
        // The history keeps microseconds: a wait under a millisecond reads in them, not as 0 ms.
        let micros = (ms * 1000).rounded()
        if micros != 0 && abs(micros) < 1000 { return "\(Int(micros)) µs" }
        return SVG.number(ms) + " ms"
    }

    /// Two decimals without Foundation's formatter.
    static func format2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let rest = abs(hundredths % 100)
        return "\(hundredths / 100).\(rest < 10 ? "0" : "")\(rest)"
    }
}
