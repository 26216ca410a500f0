import Foundation
import ProscoreUnits

/// A picture of what an encoder layer learns: the spectrogram, and under it on the same
/// time axis the layer's frame features projected to three principal components (shown
/// as colour) and grouped into k-means units (labelled segments).
public struct FeatureVisualization {
    public let svg: String
    /// The same picture without text, as PNG (spectrogram, colour strip, units).
    public let png: Data
    /// Unit (cluster) of every frame, and the share of variance the three components explain.
    public let units: [Int]
    public let explainedVariance: Double

    /// `samples`: 16 kHz mono; `features`: `[frames][dim]` of one layer, frame i at 20·i ms.
    public init(samples: [Float], features: [[Float]], layer: Int, units unitCount: Int = 8, title: String = "") {
        let frames = features.count
        let spectrogram = Self.spectrogram(samples, frames: frames)
        let (projected, explained) = Self.pca(features, components: 3)
        let labels = Self.kMeans(projected: Self.pca(features, components: min(10, features.first?.count ?? 1)).0, k: unitCount)
        units = labels
        explainedVariance = explained

        let width = 1000.0, left = 40.0, plotWidth = width - left - 10
        let column = plotWidth / Double(max(1, frames))
        let specHeight = 180.0, stripTop = specHeight + 30, stripHeight = 40.0, unitTop = stripTop + stripHeight + 12
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(unitTop + 70)\" font-family=\"sans-serif\">"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        s += "<text x=\"\(left)\" y=\"14\" font-size=\"13\">\(title.isEmpty ? "" : title + " · ")spectrogram (0–8 kHz)</text>"
        // Spectrogram: one column per frame, bins bottom (0 Hz) to top (8 kHz), grey levels.
        let bins = spectrogram.first?.count ?? 0
        let maxDb = spectrogram.flatMap { $0 }.max() ?? 0
        let rowHeight = (specHeight - 20) / Double(max(1, bins))
        for (f, column_) in spectrogram.enumerated() {
            for (b, db) in column_.enumerated() {
                let level = max(0, min(1, (db - (maxDb - 70)) / 70))
                if level < 0.05 { continue }
                let grey = Int(255 * (1 - level))
                s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"rgb(%d,%d,%d)\"/>",
                            left + Double(f) * column, 20 + (Double(bins - 1 - b)) * rowHeight, column + 0.3, rowHeight + 0.3, grey, grey, grey)
            }
        }
        s += "<text x=\"\(left)\" y=\"\(stripTop - 4)\" font-size=\"13\">layer \(layer): first three principal components as colour (\(String(format: "%.0f", 100 * explained))% of variance)</text>"
        let ranges = (0..<3).map { c -> (Double, Double) in
            let v = projected.map { $0[c] }
            return (v.min() ?? 0, v.max() ?? 1)
        }
        for (f, p) in projected.enumerated() {
            let rgb = (0..<3).map { c in Int(255 * (p[c] - ranges[c].0) / max(1e-9, ranges[c].1 - ranges[c].0)) }
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"rgb(%d,%d,%d)\"/>",
                        left + Double(f) * column, stripTop, column + 0.3, stripHeight, rgb[0], rgb[1], rgb[2])
        }
        s += "<text x=\"\(left)\" y=\"\(unitTop - 2)\" font-size=\"13\">k-means units (k = \(unitCount)), consecutive frames merged</text>"
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        var start = 0
        for f in 1...max(1, frames) where f == frames || labels[f] != labels[start] {
            let x0 = left + Double(start) * column, w = Double(f - start) * column
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"24\" fill=\"%@\" stroke=\"white\" stroke-width=\"0.5\"/>",
                        x0, unitTop + 4, w, palette[labels[start] % palette.count])
            if w > 12 { s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"white\">%d</text>", x0 + 2, unitTop + 20, labels[start]) }
            start = f
        }
        // Time axis.
        let seconds = Double(frames) * FrameGeometry.frameSeconds
        let step = [0.5, 1, 2, 5, 10, 30, 60].first { seconds / $0 <= 12 } ?? 120
        var t = 0.0
        while t <= seconds + 1e-9 {
            let x = left + plotWidth * t / max(seconds, 1e-9)
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%g s</text>",
                        x, unitTop + 30, x, unitTop + 36, x, unitTop + 50, t)
            t += step
        }
        svg = s + "</svg>"
        png = Self.raster(spectrogram: spectrogram, maxDb: maxDb, projected: projected, ranges: ranges, units: labels, palette: palette)
    }

    /// One pixel column per frame (at least 2 px): spectrogram (160 px), colour strip (40 px),
    /// units (24 px), white gaps between.
    static func raster(spectrogram: [[Double]], maxDb: Double, projected: [[Double]], ranges: [(Double, Double)],
                       units: [Int], palette: [String]) -> Data {
        let frames = spectrogram.count
        let scale = max(1, 1000 / max(1, frames))
        let width = max(1, frames * scale), height = 160 + 8 + 40 + 8 + 24
        var rgb = [UInt8](repeating: 255, count: width * height * 3)
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            let i = (y * width + x) * 3
            rgb[i] = c.0; rgb[i + 1] = c.1; rgb[i + 2] = c.2
        }
        func hex(_ s: String) -> (UInt8, UInt8, UInt8) {
            let v = UInt32(s.dropFirst(), radix: 16) ?? 0
            return (UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF))
        }
        for f in 0..<frames {
            let bins = spectrogram[f].count
            for y in 0..<160 {
                let b = (159 - y) * bins / 160
                let level = max(0, min(1, (spectrogram[f][b] - (maxDb - 70)) / 70))
                let g = UInt8(255 * (1 - level))
                for dx in 0..<scale { set(f * scale + dx, y, (g, g, g)) }
            }
            let c = (0..<3).map { k in UInt8(255 * (projected[f][k] - ranges[k].0) / max(1e-9, ranges[k].1 - ranges[k].0)) }
            let u = hex(palette[units[f] % palette.count])
            for dx in 0..<scale {
                for y in 168..<208 { set(f * scale + dx, y, (c[0], c[1], c[2])) }
                for y in 216..<240 { set(f * scale + dx, y, u) }
            }
        }
        return PNGWriter.encode(width: width, height: height, rgb: rgb)
    }

    // MARK: - Spectrogram

    /// Power in dB per frame (400-sample Hann window every 320 samples, 512-point FFT),
    /// 64 bins up to 8 kHz.
    static func spectrogram(_ x: [Float], frames: Int) -> [[Double]] {
        (0..<frames).map { f in
            var re = [Double](repeating: 0, count: 512), im = [Double](repeating: 0, count: 512)
            for i in 0..<400 {
                let j = f * FrameGeometry.samplesPerFrame + i
                let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / 399)
                re[i] = j < x.count ? Double(x[j]) * w : 0
            }
            fft(&re, &im)
            return (0..<64).map { b in
                var p = 0.0
                for k in (b * 4)..<(b * 4 + 4) { p += re[k] * re[k] + im[k] * im[k] }
                return 10 * log10(p + 1e-10)
            }
        }
    }

    /// In-place radix-2 FFT.
    static func fft(_ re: inout [Double], _ im: inout [Double]) {
        let n = re.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { re.swapAt(i, j); im.swapAt(i, j) }
        }
        var length = 2
        while length <= n {
            let angle = -2 * Double.pi / Double(length)
            for start in stride(from: 0, to: n, by: length) {
                for k in 0..<(length / 2) {
                    let (c, s) = (cos(angle * Double(k)), sin(angle * Double(k)))
                    let a = start + k, b = a + length / 2
                    let tr = re[b] * c - im[b] * s, ti = re[b] * s + im[b] * c
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                }
            }
            length <<= 1
        }
    }

    // MARK: - PCA and k-means

    /// Projections on the top `components` principal components (power iteration with
    /// deflation) and the share of variance they explain.
    static func pca(_ x: [[Float]], components: Int) -> ([[Double]], Double) {
        let n = x.count, d = x.first?.count ?? 0
        guard n > 1, d > 0 else { return (x.map { _ in [Double](repeating: 0, count: components) }, 0) }
        var mean = [Double](repeating: 0, count: d)
        for row in x { for j in 0..<d { mean[j] += Double(row[j]) / Double(n) } }
        let centred = x.map { row in (0..<d).map { Double(row[$0]) - mean[$0] } }
        var covariance = [Double](repeating: 0, count: d * d)
        for row in centred { for i in 0..<d where row[i] != 0 { for j in i..<d { covariance[i * d + j] += row[i] * row[j] } } }
        for i in 0..<d { for j in 0..<i { covariance[i * d + j] = covariance[j * d + i] } }
        let total = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
        var vectors: [[Double]] = []
        var captured = 0.0
        for c in 0..<min(components, d) {
            var v = (0..<d).map { Double(($0 * 7919 + c * 104729) % 97) - 48 }
            var eigenvalue = 0.0
            for _ in 0..<60 {
                var w = [Double](repeating: 0, count: d)
                for i in 0..<d { var s = 0.0; for j in 0..<d { s += covariance[i * d + j] * v[j] }; w[i] = s }
                let norm = max(1e-300, w.reduce(0) { $0 + $1 * $1 }.squareRoot())
                eigenvalue = norm
                v = w.map { $0 / norm }
            }
            captured += eigenvalue
            for i in 0..<d { for j in 0..<d { covariance[i * d + j] -= eigenvalue * v[i] * v[j] } }
            vectors.append(v)
        }
        let projected = centred.map { row in vectors.map { v in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } } }
        return (projected, total > 0 ? captured / total : 0)
    }

    /// Lloyd's k-means with deterministic farthest-point initialisation; labels per row.
    static func kMeans(projected x: [[Double]], k: Int, iterations: Int = 30) -> [Int] {
        guard !x.isEmpty else { return [] }
        let k = min(k, x.count)
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        var centres = [x[0]]
        while centres.count < k {
            let far = x.indices.max { a, b in
                centres.map { distance(x[a], $0) }.min()! < centres.map { distance(x[b], $0) }.min()!
            }!
            centres.append(x[far])
        }
        var labels = [Int](repeating: 0, count: x.count)
        for _ in 0..<iterations {
            for i in x.indices { labels[i] = centres.indices.min { distance(x[i], centres[$0]) < distance(x[i], centres[$1]) }! }
            for c in centres.indices {
                let members = x.indices.filter { labels[$0] == c }
                guard !members.isEmpty else { continue }
                centres[c] = (0..<x[0].count).map { j in members.reduce(0) { $0 + x[$1][j] } / Double(members.count) }
            }
        }
        return labels
    }
}
