import Foundation
import Testing
@testable import ProscoreScoring

struct Seeded {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    mutating func normal() -> Double { (-2 * log(max(1e-12, next()))).squareRoot() * cos(2 * .pi * next()) }
}

@Suite("training and evaluation")
struct TrainingTests {
    @Test("ridge regression recovers a planted linear relation")
    func planted() {
        var r = Seeded(state: 7)
        let trueWeights = [1.5, -2.0, 0.0, 0.7, 3.0]
        var x: [[Double]] = [], y: [[Double]] = []
        for _ in 0..<400 {
            let row = (0..<5).map { _ in r.normal() * 2 + 1 }
            x.append(row)
            let clean = zip(row, trueWeights).reduce(4.0) { $0 + $1.0 * $1.1 }
            y.append([clean + 0.05 * r.normal(), 2 * clean])
        }
        let model = RidgeRegression.fit(features: x, targets: y, lambda: 1e-6)
        // Back in raw units: w_raw = w / scale.
        for j in 0..<5 { #expect(abs(model.weights[j][0] / model.featureScale[j] - trueWeights[j]) < 0.02) }
        let probe = [0.5, 1, -1, 2, 0.25]
        let expected = zip(probe, trueWeights).reduce(4.0) { $0 + $1.0 * $1.1 }
        #expect(abs(model.predict(probe)[0] - expected) < 0.05)
        #expect(abs(model.predict(probe)[1] - 2 * expected) < 0.1)
    }

    @Test("ridge shrinks towards the mean as lambda grows")
    func shrinkage() {
        let x = (0..<50).map { [Double($0)] }, y = (0..<50).map { [Double($0) * 2] }
        let loose = RidgeRegression.fit(features: x, targets: y, lambda: 0.001)
        let tight = RidgeRegression.fit(features: x, targets: y, lambda: 1e6)
        #expect(abs(loose.predict([100])[0] - 200) < 1)
        #expect(abs(tight.predict([100])[0] - 49) < 1)
    }

    @Test("one ridge problem solved for several λ equals a fit per λ; LAPACK's solve agrees with the plain Cholesky")
    func problemReuse() {
        var r = Seeded(state: 3)
        let x = (0..<120).map { _ in (0..<6).map { _ in r.normal() } }
        let y = x.map { [$0[0] - 2 * $0[3] + 0.3 * r.normal(), $0[1]] }
        let problem = RidgeProblem(features: x, targets: y)
        for lambda in [0.1, 10, 1000] {
            let once = problem.solve(lambda: lambda), fitted = RidgeRegression.fit(features: x, targets: y, lambda: lambda)
            #expect(once == fitted)
            var a = problem.gram
            for i in 0..<6 { a[i * 6 + i] += lambda }
            let plain = RidgeRegression.solveSymmetricPositiveDefinite(a, problem.moments, 6, 2)
            for i in 0..<6 { for t in 0..<2 { #expect(abs(once.weights[i][t] - plain[i * 2 + t]) < 1e-10) } }
        }
    }

    @Test("a smaller penalty multiplier lets its feature keep more weight")
    func penalty() {
        var r = Seeded(state: 5)
        let x = (0..<200).map { _ in [r.normal(), r.normal()] }
        let y = x.map { [$0[0] + $0[1] + 0.1 * r.normal()] }
        let even = RidgeRegression.fit(features: x, targets: y, lambda: 200)
        let favoured = RidgeRegression.fit(features: x, targets: y, lambda: 200, penalty: [1, 1.0 / 16])
        #expect(abs(even.weights[0][0] - even.weights[1][0]) < 0.1)
        #expect(favoured.weights[1][0] > even.weights[1][0] + 0.2)
        #expect(abs(favoured.weights[0][0] - even.weights[0][0]) < 0.05)
    }

    @Test("Pearson, Spearman and RMSE known answers")
    func statistics() {
        let x = [1.0, 2, 3, 4, 5], y = [2.0, 4, 6, 8, 10]
        #expect(abs(Statistics.pearson(x, y) - 1) < 1e-12)
        #expect(abs(Statistics.pearson(x, y.reversed()) + 1) < 1e-12)
        #expect(abs(Statistics.spearman(x, [1, 4, 9, 16, 25]) - 1) < 1e-12)
        #expect(abs(Statistics.spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-9)
        #expect(abs(Statistics.rmse([1, 2], [2, 4]) - (2.5).squareRoot()) < 1e-12)
        #expect(Statistics.pearson([1, 1, 1], [1, 2, 3]) == 0)
    }

    @Test("speaker folds never split a speaker and use every fold")
    func folds() {
        let speakers = (0..<120).map { "spk\($0 / 4)" }
        let folds = SpeakerFolds.assign(speakers: speakers, folds: 5)
        for i in speakers.indices where speakers[i] == speakers[(i / 4) * 4] { #expect(folds[i] == folds[(i / 4) * 4]) }
        #expect(Set(folds) == Set(0..<5))
        #expect(folds == SpeakerFolds.assign(speakers: speakers, folds: 5))
    }
}

@Suite("proficiency heads")
struct HeadTests {
    /// Layer 1 carries the planted relation; layer 0 is noise; 40 speakers × 10 utterances.
    func examples() -> [TrainingExample] {
        var r = Seeded(state: 11)
        return (0..<400).map { i in
            let skill = r.normal()
            let informative = (0..<8).map { j in Float(skill * (j % 2 == 0 ? 1 : -0.5) + 0.3 * r.normal()) }
            let noise = (0..<8).map { _ in Float(r.normal()) }
            return TrainingExample(speaker: "s\(i / 10)", pooled: [noise, informative],
                                   labels: ["total": 6 + 1.5 * skill, "fluency": 7 - skill])
        }
    }

    @Test("probing finds the informative layer; the trained head weights it and predicts held-out speakers")
    func plantedLayer() {
        let data = examples()
        let probe = HeadTraining.probe(data, targets: ["total", "fluency"])
        #expect(probe[1][0] > 0.9 && abs(probe[0][0]) < 0.3)
        #expect(probe[1][1] < -0.9 || probe[1][1] > 0.9)  // fluency is planted with the opposite sign
        let head = HeadTraining.train(data, layers: [0, 1], targets: ["total", "fluency"])
        #expect(head.layerPooling == .weightedMix && head.layerWeights[1] > 0.99)
        let agreement = HeadTraining.evaluate(data, layers: [0, 1], targets: ["total", "fluency"])
        #expect(agreement["total"]!.pearson > 0.9 && agreement["fluency"]!.pearson > 0.9)
        #expect(agreement["total"]!.rmse < 0.8)
        let p = head.predict(pooled: data[0].pooled)
        #expect(p["total"]! >= 0 && p["total"]! <= 10)
    }
}

@Suite("a read-aloud head's floor on the reading's alignment")
struct ReadingGapFloorTests {
    @Test("train keeps the lowest aligned gap of its readings less the margin (an unaligned one aside); the head file keeps it; free-speech heads have none")
    func floorFromTheReadings() throws {
        var r = Seeded(state: 5)
        let data = (0..<60).map { i -> TrainingExample in
            let skill = r.normal()
            let gap = i == 7 ? ReadAloudEvidence.unaligned : -1 - Double(i % 10) / 10  // -1.0 … -1.9
            return TrainingExample(speaker: "s\(i / 6)", pooled: [], extras: [skill, gap], labels: ["total": 6 + skill])
        }
        let head = HeadTraining.train(data, layers: [], targets: ["total"], extraFeatures: ["speech_rate", "aligned_gap_per_token"])
        #expect(abs((head.readingGapFloor ?? 0) - (-1.9 - ProficiencyHead.readingGapMargin)) < 1e-9)
        let path = NSTemporaryDirectory() + "proscore-floor-" + UUID().uuidString + ".json"
        try HeadFile.write(head, encoder: "test", training: [:], to: path)
        #expect(try HeadFile.read(path: path).head.readingGapFloor == head.readingGapFloor)
        let free = HeadTraining.train(data, layers: [], targets: ["total"], extraFeatures: ["speech_rate", "mean_pause_s"])
        #expect(free.readingGapFloor == nil)
    }
}

@Suite("heads with layers side by side")
struct ConcatenatedHeadTests {
    /// The score is split across two layers: dimension 0 of layer 0 and dimension 1 of layer 1
    /// (the other dimensions noise), so no mix of the two layers into one vector can read it.
    func examples() -> [TrainingExample] {
        var r = Seeded(state: 13)
        return (0..<400).map { i in
            let a = r.normal(), b = r.normal()
            let first = (0..<4).map { j in Float(j == 0 ? a : r.normal()) }, second = (0..<4).map { j in Float(j == 1 ? b : r.normal()) }
            return TrainingExample(speaker: "s\(i / 10)", pooled: [first, second], extras: [a + b + r.normal()],
                                   labels: ["total": 5 + a + b])
        }
    }

    @Test("concatenated layers read what a weighted mix cannot; the head file keeps the pooling and refuses a mix of both")
    func concatenation() throws {
        let data = examples()
        let joined = HeadTraining.evaluate(data, layers: [0, 1], targets: ["total"], layerPooling: .concatenated)["total"]!.pearson
        let mixed = HeadTraining.evaluate(data, layers: [0, 1], targets: ["total"])["total"]!.pearson
        #expect(joined > 0.95 && joined > mixed + 0.1)
        let head = HeadTraining.train(data, layers: [0, 1], targets: ["total"], extraFeatures: ["sum"], layerPooling: .concatenated)
        #expect(head.layerPooling == .concatenated && head.layerWeights.isEmpty)
        #expect(head.regression.featureMean.count == head.layerColumnCount(hiddenSize: 4) + head.extraColumnCount)
        let dir = NSTemporaryDirectory() + "proscore-head-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/joined.json"
        try HeadFile.write(head, encoder: "test", training: [:], to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"layer_pooling\" : \"concatenated\""))
        let back = try HeadFile.read(path: path).head
        #expect(back.layerPooling == .concatenated && back.namedFeaturePenalty == head.namedFeaturePenalty && back.lambda == head.lambda)
        #expect(HeadTraining.namedFeaturePenalties.contains(head.namedFeaturePenalty))
        for e in data.prefix(10) {
            #expect(abs(back.predict(pooled: e.pooled, extras: e.extras)["total"]! - head.predict(pooled: e.pooled, extras: e.extras)["total"]!) < 1e-3)
        }
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        object["layer_weights"] = [0.5, 0.5]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        #expect(throws: HeadFileError.self) { try HeadFile.read(path: path) }
    }
}

@Suite("feature basis of the named features")
struct FeatureBasisTests {
    @Test("percentiles interpolate as numpy's default; the expansion is the clipped value then one hinge per knot")
    func knownAnswers() {
        let sorted: [Double] = [1, 2, 3, 4, 5]
        #expect(abs(FeatureBasis.percentile(sorted, 20) - 1.8) < 1e-12)
        #expect(abs(FeatureBasis.percentile(sorted, 99) - 4.96) < 1e-12)
        #expect(FeatureBasis.percentile(sorted, 0) == 1 && FeatureBasis.percentile(sorted, 100) == 5)
        #expect(FeatureBasis.percentile([7], 40) == 7)
        let basis = FeatureBasis(lower: [0, -1], upper: [10, 1], knots: [[2, 0], [5, 0.5]])
        #expect(basis.outputCount == 6)
        // 12 is clipped to 10 (hinges 8 and 5); -3 to -1 (hinges 0 and 0).
        #expect(basis.expand([12, -3]) == [10, -1, 8, 0, 5, 0])
        #expect(basis.expand([3, 0.75]) == [3, 0.75, 1, 0.75, 0, 0.25])
    }

    @Test("fitted bounds and knots follow the training rows' percentiles")
    func fitted() {
        let rows = (0...100).map { [Double($0), 5.0] }
        let basis = FeatureBasis.fit(rows)
        #expect(basis.lower == [1, 5] && basis.upper == [99, 5])
        #expect(basis.knots.map { $0[0] } == [20, 40, 60, 80])
        #expect(basis.knots.allSatisfy { $0[1] == 5 })
    }

    /// A rating that rises with a rate up to a point and is flat beyond it, plus two wild
    /// recordings in 400 (a rate beyond the 99th percentile); 40 speakers × 10 utterances.
    func saturating() -> [TrainingExample] {
        var r = Seeded(state: 5)
        return (0..<400).map { i in
            let rate = 2 + 3 * r.next()
            let noise = r.normal()
            let wild = i % 200 == 7 ? 40.0 : 0
            return TrainingExample(speaker: "s\(i / 10)", pooled: [], extras: [rate + wild, noise],
                                   labels: ["fluency": 2 * min(rate, 3.2) + 0.1 * r.normal()])
        }
    }

    @Test("a head with the basis follows a saturating rating that a linear head cannot, for speakers it never saw")
    func saturatingRating() {
        let data = saturating()
        let bent = HeadTraining.evaluate(data, layers: [], targets: ["fluency"])["fluency"]!.pearson
        let straight = HeadTraining.evaluate(data, layers: [], targets: ["fluency"], linear: true)["fluency"]!.pearson
        #expect(bent > 0.95)
        #expect(bent > straight + 0.1)
        // A value far outside training scores as the clipping bound does.
        let head = HeadTraining.train(data, layers: [], targets: ["fluency"], extraFeatures: ["rate", "noise"])
        let bound = head.extraBasis!.upper[0]
        #expect(head.predict(pooled: [], extras: [1e6, 0])["fluency"] == head.predict(pooled: [], extras: [bound, 0])["fluency"])
    }

    @Test("heads round-trip through their files with and without the basis")
    func roundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proscore-basis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = saturating()
        for linear in [false, true] {
            let head = HeadTraining.train(data, layers: [], targets: ["fluency"], extraFeatures: ["rate", "noise"], linear: linear)
            #expect((head.extraBasis == nil) == linear)
            let path = dir + "/head-\(linear).json"
            try HeadFile.write(head, encoder: "any", training: [:], to: path)
            let back = try HeadFile.read(path: path).head
            #expect((back.extraBasis == nil) == linear)
            for e in data.prefix(20) {
                let a = head.predict(pooled: [], extras: e.extras)["fluency"]!, b = back.predict(pooled: [], extras: e.extras)["fluency"]!
                #expect(abs(a - b) < 1e-3)
            }
        }
    }
}
