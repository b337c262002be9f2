import Foundation

/// Broiler weight over a flock's life, for the simulator's weigh stations: a Gompertz curve
/// `W(t) = 6.5 · exp(−exp(−0.048 · (t − 36)))` kg at age `t` days (about 0.8 kg at day 21, 3.1 kg at day 42, close
/// to a Ross 308's published targets), and birds of one age spread around it with a coefficient of variation of 8%.
package enum FlockGrowth {
    /// The flock's mean weight at `ageDays`, kg.
    package static func meanWeightKg(ageDays: Double) -> Double {
        6.5 * exp(-exp(-0.048 * (ageDays - 36)))
    }

    /// How many birds of the flock at `ageDays` stand on `camera`'s platform at most: together they cover at most 22%
    /// of it (larger birds leave room for fewer; five young ones, three or four at slaughter weight).
    package static func capacity(ageDays: Double, camera: TopViewScene.Camera) -> Int {
        let area = camera.pixelsPerKg23 * pow(meanWeightKg(ageDays: ageDays) * 1.1, 2.0 / 3.0)
        return max(1, min(5, Int(0.22 * Double(camera.platform.width * camera.platform.height) / area)))
    }

    /// `count` birds of the flock at `ageDays`, kg (rounded to grams).
    package static func weights<G: RandomNumberGenerator>(count: Int, ageDays: Double, using random: inout G) -> [Double] {
        let mean = meanWeightKg(ageDays: ageDays)
        return (0..<count).map { _ in
            let weight = mean * max(0.6, 1 + 0.08 * TopViewScene.gaussian(using: &random))
            return (weight * 1000).rounded() / 1000
        }
    }
}
